"""The lockout check in front of Django's password check."""

from __future__ import annotations

from typing import Any

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class LockoutBackend(AxesStandaloneBackend):  # type: ignore[misc]
    """django-axes' lockout for every login through a web request.

    Every login page passes the request (Django's LoginView and the admin's),
    so each is counted and locked. Calls without a request (``manage.py
    shell``, the test client's ``login``) come from someone who already runs
    code on the server, whom a lockout cannot stop; they go straight on to the
    password check instead of failing.
    """

    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)  # type: ignore[no-any-return]
