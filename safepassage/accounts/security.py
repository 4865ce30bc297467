"""Who must pass a second factor, the session clock, and the sign-in audit trail.

Every account that can see signer data (superusers, staff, organisers and
partner editors) must have a confirmed second factor and must pass it in
each session before any page but enrolment, the second-factor step and
logout (middleware.StaffSessionMiddleware). Coordinators may enrol; once
they have, they pass it too. django-otp keeps the devices and marks a
session as verified; this module adds the policy around it.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from safepassage.accounts.models import AuthEvent, Role
from safepassage.lib.clients import client_ip, ip_hash

logger = logging.getLogger("safepassage.accounts.auth")

# Session keys: when the password was accepted, when the session was last used,
# when the person last re-authenticated (password and second factor).
AUTH_AT = "sp_auth_at"
SEEN_AT = "sp_seen_at"
REAUTH_AT = "sp_reauth_at"
# A fresh password check on the re-authentication page, waiting for the second factor.
REAUTH_PASSWORD_AT = "sp_reauth_password_at"  # noqa: S105  (a session key)

# Marks a user_login_failed signal that came from the second-factor step.
SECOND_FACTOR = "second_factor"

ENFORCED_KINDS = (Role.Kind.ORGANISER, Role.Kind.PARTNER_EDITOR)


def second_factor_enforced(user: Any) -> bool:
    """Must this account have and pass a second factor? (It can see signer data.)"""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser or user.is_staff:
        return True
    return Role.objects.filter(user=user, kind__in=ENFORCED_KINDS).exists()


def has_session_policy(user: Any) -> bool:
    """Staff and every role holder get the idle and absolute session limits."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_staff or user.is_superuser) or Role.objects.filter(user=user).exists()


def has_second_factor(user: Any) -> bool:
    """A confirmed device that can verify a login (recovery codes alone do not count)."""
    return any(not isinstance(d, StaticDevice) for d in devices_for_user(user, confirmed=True))


def is_verified(request: HttpRequest) -> bool:
    user: Any = request.user
    return bool(getattr(user, "is_verified", lambda: False)())


def recently_reauthenticated(request: HttpRequest) -> bool:
    at = request.session.get(REAUTH_AT)
    return isinstance(at, int | float) and time.time() - at <= settings.REAUTH_SECONDS


def address_hash(request: HttpRequest | None) -> str:
    return ip_hash(client_ip(request)) if request is not None else ""


def record(
    kind: str,
    request: HttpRequest | None,
    *,
    user: Any = None,
    username: str = "",
    detail: str = "",
) -> AuthEvent:
    """Write one audit row; failures and lockouts also get a log line (no address, no password)."""
    account = user if getattr(user, "pk", None) else None
    if not username and account is not None:
        username = account.get_username()
    event = AuthEvent.objects.create(
        kind=kind,
        username=username[:150],
        user=account,
        ip_hash=address_hash(request),
        detail=detail[:200],
    )
    if kind in (
        AuthEvent.Kind.FAILURE,
        AuthEvent.Kind.SECOND_FACTOR_FAILURE,
        AuthEvent.Kind.LOCKOUT,
    ):
        # The account number, or "unknown": what was typed may be someone's address.
        logger.warning(
            "sign-in %s for account %s (event %s)",
            kind,
            account.pk if account is not None else "unknown",
            event.pk,
        )
    return event


def _account(username: str) -> Any:
    if not username:
        return None
    return get_user_model()._default_manager.filter(username=username).first()


@receiver(user_logged_in, dispatch_uid="safepassage-auth-login")
def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    now = time.time()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    if not second_factor_enforced(user) and not has_second_factor(user):
        # The password is all of this account's authentication, and it was just typed.
        request.session[REAUTH_AT] = now
    record(AuthEvent.Kind.LOGIN, request, user=user)


@receiver(user_logged_out, dispatch_uid="safepassage-auth-logout")
def _logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(AuthEvent.Kind.LOGOUT, request, user=user)


@receiver(user_login_failed, dispatch_uid="safepassage-auth-failure")
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username") or "")
    kind = (
        AuthEvent.Kind.SECOND_FACTOR_FAILURE
        if credentials.get(SECOND_FACTOR)
        else AuthEvent.Kind.FAILURE
    )
    record(kind, request, user=_account(username), username=username)


@receiver(user_locked_out, dispatch_uid="safepassage-auth-lockout")
def _locked_out(
    sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any
) -> None:
    name = username or ""
    record(AuthEvent.Kind.LOCKOUT, request, user=_account(name), username=name)


def _device_label(device: Device) -> str:
    if isinstance(device, TOTPDevice):
        return "authenticator app"
    if isinstance(device, WebAuthnCredential):
        return "passkey"
    if isinstance(device, StaticDevice):
        return "recovery codes"
    return type(device).__name__


@receiver(post_save, sender=WebAuthnCredential, dispatch_uid="safepassage-passkey-added")
def _passkey_added(sender: Any, instance: WebAuthnCredential, created: bool, **kwargs: Any) -> None:
    if created and instance.confirmed:
        record(AuthEvent.Kind.MFA_ENROLLED, None, user=instance.user, detail="passkey")


def _device_removed(sender: Any, instance: Device, **kwargs: Any) -> None:
    user = get_user_model()._default_manager.filter(pk=instance.user_id).first()
    if user is not None:
        record(AuthEvent.Kind.MFA_REMOVED, None, user=user, detail=_device_label(instance))


for _model in (TOTPDevice, StaticDevice, WebAuthnCredential):
    post_delete.connect(
        _device_removed, sender=_model, dispatch_uid=f"safepassage-removed-{_model.__name__}"
    )


def lockout_address(request: HttpRequest) -> str:
    """The client address as django-axes stores it: a keyed hash shaped as an IPv6 address.

    Axes keeps the address of each failure in an IP-address column; this gives
    it a stable pseudonym instead (the first 128 bits of the keyed hash), so
    per-address lockout works and no plain address is ever written.
    """
    digest = address_hash(request) or "0" * 32
    groups = [digest[i : i + 4] for i in range(0, 32, 4)]
    return ":".join(groups)
