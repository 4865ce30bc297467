"""A request without a session cookie passes the account middleware without loading a user.

A signature and a public page carry no session cookie; loading the anonymous
user and setting the change history's request context for them cost about a
tenth of a signing POST's CPU (docs/performance.md). With a cookie, both look
as before: the history's author is tested through the team pages
(deliveries/tests/test_planning.py and others), the session limits in
test_sign_in.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils.functional import empty
from simple_history.models import HistoricalRecords

from safepassage.accounts.middleware import HistoryUserMiddleware, StaffSessionMiddleware


def through_the_chain(request: HttpRequest) -> dict[str, Any]:
    seen: dict[str, Any] = {}

    def view(request: HttpRequest) -> HttpResponse:
        seen["user loaded"] = request.user._wrapped is not empty  # type: ignore[union-attr]
        seen["history request"] = getattr(HistoricalRecords.context, "request", None)
        return HttpResponse()

    chain = SessionMiddleware(
        AuthenticationMiddleware(StaffSessionMiddleware(HistoryUserMiddleware(view)))  # type: ignore[arg-type]
    )
    chain(request)
    return seen


def test_without_a_session_cookie_the_user_is_never_loaded(rf: RequestFactory) -> None:
    seen = through_the_chain(rf.post("/p/demo/", {"first_name": "Ji-woo"}))
    assert seen == {"user loaded": False, "history request": None}


@pytest.mark.django_db
def test_with_a_session_cookie_the_user_is_loaded_and_the_history_knows_the_request(
    rf: RequestFactory,
) -> None:
    request = rf.get("/team/")
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "no-such-session"
    seen = through_the_chain(request)
    assert seen == {"user loaded": True, "history request": request}
    assert getattr(HistoricalRecords.context, "request", None) is None  # and forgets it after
