"""Signing in to the team pages and out again.

Coordinators and partner editors are not staff, so the admin's login page
refuses them: they sign in here. After signing in, LOGIN_REDIRECT_URL (the
team's start page) takes over.
"""

from __future__ import annotations

from django.contrib.auth.views import LoginView, LogoutView
from django.urls import reverse


class TeamLoginView(LoginView):
    template_name = "accounts/login.html"


class TeamLogoutView(LogoutView):
    def get_default_redirect_url(self) -> str:
        return reverse("accounts:login")
