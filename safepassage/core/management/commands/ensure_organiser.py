"""Create the first organiser account once, with a random password."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from safepassage.accounts.models import Role
from safepassage.accounts.services import organisers_group
from safepassage.campaigns.models import Campaign


def give_organiser_roles(user: Any) -> None:
    """The organiser role in every campaign (what the role-based pages check)."""
    for campaign in Campaign.objects.all():
        Role.objects.get_or_create(user=user, campaign=campaign, kind=Role.Kind.ORGANISER)


def enrol_authenticator(user: Any) -> tuple[str, str]:
    """A confirmed TOTP device for the demo organiser: (base32 secret, otpauth:// URI).

    Organisers must pass a second factor; the demo gives them one at once so
    a newcomer adds the key to an authenticator app instead of enrolling first.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    return base64.b32encode(device.bin_key).decode(), device.config_url


def _second_factor_text(secret: str, uri: str) -> str:
    return (
        "Second factor (authenticator app, e.g. Aegis, FreeOTP, 2FAS):\n"
        f"  key: {secret}\n  otpauth URI: {uri}\n"
    )


class Command(BaseCommand):
    help = "Create an organiser account (once) and say how to log in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="organiser")
        parser.add_argument(
            "--credentials-file",
            default=str(settings.DATA_DIR / "organiser-credentials.txt"),
            help="where the generated password is kept for the demo (mode 600)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = options["username"]
        group = organisers_group()
        login_url = f"{settings.SITE_URL}/admin/"
        credentials = Path(options["credentials_file"])
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            give_organiser_roles(existing)
            secret, uri = enrol_authenticator(existing)
            if credentials.exists() and "totp key:" not in credentials.read_text():
                with credentials.open("a") as handle:  # created 0600 above, on the first run
                    handle.write(f"totp key: {secret}\notpauth uri: {uri}\n")
            where = f" (password and key in {credentials})" if credentials.exists() else ""
            self.stdout.write(f"Organiser login: {login_url} as {username!r}{where}")
            self.stdout.write(_second_factor_text(secret, uri))
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(username=username, password=password, is_staff=True)
        user.groups.add(group)
        give_organiser_roles(user)
        secret, uri = enrol_authenticator(user)
        credentials.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(credentials, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(
                f"username: {username}\npassword: {password}\n"
                f"totp key: {secret}\notpauth uri: {uri}\n"
            )
        self.stdout.write(
            f"Created organiser account. Log in at {login_url}\n"
            f"  username: {username}\n  password: {password}\n"
            + _second_factor_text(secret, uri)
            + f"(also saved in {credentials}; change it with: manage.py changepassword {username})"
        )
