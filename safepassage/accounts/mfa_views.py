"""The second factor: the step after the password, enrolment, recovery codes, re-authentication.

Devices are django-otp's: an authenticator app (TOTP), passkeys (WebAuthn,
django-otp-webauthn) and a sheet of single-use recovery codes. Every wrong
code counts as a failed login for the lockout (django-axes) and goes into the
audit trail (security.record).
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import urlencode

import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_otp_webauthn.views import CompleteCredentialAuthenticationView

from safepassage.accounts import security
from safepassage.accounts.models import AuthEvent
from safepassage.accounts.reauth import reauth_required

LOGIN = "accounts:login"
RECOVERY_CODES = 10
# How long a password typed on the re-authentication page waits for its passkey.
REAUTH_PASSWORD_SECONDS = 120


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        help_text=gettext_lazy("Six digits from your authenticator app, or a recovery code."),
    )

    def clean_code(self) -> str:
        return "".join(str(self.cleaned_data["code"]).split()).lower()


class ReauthForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=16,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
        help_text=gettext_lazy(
            "Six digits from your authenticator app, or a recovery code. "
            "Leave it empty to use a passkey instead."
        ),
    )


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _default_next(user: Any) -> str:
    return reverse("admin:index") if user.is_staff else resolve_url(settings.LOGIN_REDIRECT_URL)


def _locked(request: HttpRequest) -> bool:
    user: Any = request.user
    return not bool(AxesProxyHandler.is_allowed(request, {"username": user.get_username()}))


def _locked_response(request: HttpRequest) -> HttpResponse:
    logout(request)
    context = {"cooloff_minutes": settings.LOGIN_LOCKOUT_MINUTES}
    return render(request, "accounts/locked.html", context, status=429)


def _check_code(request: HttpRequest, code: str) -> Device | None:
    """The confirmed device (app or recovery codes) that accepts the code, if any."""
    user: Any = request.user
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if isinstance(device, TOTPDevice | StaticDevice) and device.verify_token(code):
                return device
    return None


def _code_refused(request: HttpRequest) -> None:
    user: Any = request.user
    # Counted by django-axes like a wrong password; recorded by security._login_failed.
    user_login_failed.send(
        sender=__name__,
        credentials={"username": user.get_username(), security.SECOND_FACTOR: True},
        request=request,
    )


def _record_use(request: HttpRequest, device: Device, kind: str) -> None:
    if isinstance(device, StaticDevice):
        left = device.token_set.count()
        security.record(
            AuthEvent.Kind.RECOVERY_CODE, request, user=request.user, detail=f"{left} left"
        )
    else:
        security.record(kind, request, user=request.user, detail=security._device_label(device))


def _passkeys(user: Any) -> bool:
    return bool(WebAuthnCredential.objects.filter(user=user, confirmed=True).exists())


@never_cache
@login_required(login_url=LOGIN)
@sensitive_post_parameters("code")
def second_factor(request: HttpRequest) -> HttpResponse:
    """The step after the password."""
    user: Any = request.user
    target = _next(request, _default_next(user))
    if security.is_verified(request):
        return HttpResponseRedirect(target)
    if not security.has_second_factor(user):
        return redirect(f"{reverse('accounts:two_factor_setup')}?{urlencode({'next': target})}")
    if _locked(request):
        return _locked_response(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _check_code(request, form.cleaned_data["code"])
        if device is not None:
            otp_login(request, device)
            # Password and second factor, just now: that is a fresh authentication too.
            request.session[security.REAUTH_AT] = time.time()
            _record_use(request, device, AuthEvent.Kind.VERIFIED)
            return HttpResponseRedirect(target)
        _code_refused(request)
        if getattr(request, "axes_locked_out", False) or _locked(request):
            return _locked_response(request)
        form.add_error("code", _("This code is not valid. Try the next one from your app."))
    context = {"form": form, "next": target, "passkeys": _passkeys(user)}
    return render(request, "accounts/second_factor.html", context)


def _qr_svg(uri: str) -> str:
    # segno writes plain SVG elements (no script, no style attribute).
    return mark_safe(segno.make(uri, error="m").svg_inline(scale=4, dark="#1d1d1b"))  # noqa: S308


def _new_recovery_codes(request: HttpRequest) -> list[str]:
    user: Any = request.user
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name="recovery codes", defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    security.record(AuthEvent.Kind.MFA_ENROLLED, request, user=user, detail="recovery codes")
    return codes


@never_cache
@login_required(login_url=LOGIN)
@sensitive_post_parameters("code")
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Your second factors: add an authenticator app or a passkey, new recovery codes."""
    user: Any = request.user
    target = _next(request, _default_next(user))
    enrolled = security.has_second_factor(user)
    if enrolled and not security.is_verified(request):
        # A password alone never adds a device to an account that has one.
        return redirect(f"{reverse('accounts:second_factor')}?{urlencode({'next': target})}")
    pending = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if pending is None:
        pending = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=False)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if pending.verify_token(form.cleaned_data["code"]):
            pending.confirmed = True
            pending.save(update_fields=["confirmed"])
            security.record(
                AuthEvent.Kind.MFA_ENROLLED, request, user=user, detail="authenticator app"
            )
            if not security.is_verified(request):
                otp_login(request, pending)
            codes = _new_recovery_codes(request)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": target})
        form.add_error("code", _("This code is not valid. Check the time on your phone."))
    devices = [
        (device, security._device_label(device))
        for device in devices_for_user(user, confirmed=True)
    ]
    secret = base64.b32encode(pending.bin_key).decode()
    context = {
        "form": form,
        "next": target,
        "enrolled": enrolled,
        "enforced": security.second_factor_enforced(user),
        "devices": devices,
        "secret": secret,
        "otpauth_uri": pending.config_url,
        "qr": _qr_svg(pending.config_url),
        "verified": security.is_verified(request),
    }
    return render(request, "accounts/two_factor_setup.html", context)


@never_cache
@login_required(login_url=LOGIN)
@require_POST
def recovery_codes(request: HttpRequest) -> HttpResponse:
    """A new sheet of recovery codes (the old ones stop working)."""
    if not security.is_verified(request):
        return redirect("accounts:second_factor")
    codes = _new_recovery_codes(request)
    target = _next(request, reverse("accounts:two_factor_setup"))
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": target})


@never_cache
@login_required(login_url=LOGIN)
@require_POST
@reauth_required
def remove_device(request: HttpRequest, device_id: str) -> HttpResponse:
    user: Any = request.user
    device = Device.from_persistent_id(device_id)
    if device is None or device.user_id != user.pk:
        raise Http404
    device.delete()  # recorded by security._device_removed
    messages.success(request, _("The second factor was removed."))
    return redirect("accounts:two_factor_setup")


@never_cache
@login_required(login_url=LOGIN)
@sensitive_post_parameters("password", "code")
def reauthenticate(request: HttpRequest) -> HttpResponse:
    """Password and second factor again, before a sensitive action."""
    user: Any = request.user
    target = _next(request, _default_next(user))
    if _locked(request):
        return _locked_response(request)
    form = ReauthForm(request.POST or None)
    passkey_step = False
    if request.method == "POST" and form.is_valid():
        account = authenticate(
            request, username=user.get_username(), password=form.cleaned_data["password"]
        )
        if account is None or account.pk != user.pk:
            if getattr(request, "axes_locked_out", False):
                return _locked_response(request)
            form.add_error("password", _("This password is not correct."))
        else:
            code = "".join(str(form.cleaned_data["code"]).split()).lower()
            if code:
                device = _check_code(request, code)
                if device is not None:
                    if isinstance(device, StaticDevice):
                        _record_use(request, device, AuthEvent.Kind.RECOVERY_CODE)
                    return _reauthenticated(request, target)
                _code_refused(request)
                if getattr(request, "axes_locked_out", False) or _locked(request):
                    return _locked_response(request)
                form.add_error("code", _("This code is not valid."))
            elif _passkeys(user):
                request.session[security.REAUTH_PASSWORD_AT] = time.time()
                passkey_step = True
            elif not security.second_factor_enforced(user) and not security.has_second_factor(user):
                # A coordinator without a second factor: the password is all there is.
                return _reauthenticated(request, target)
            else:
                form.add_error("code", _("Enter a code from your authenticator app."))
    context = {
        "form": form,
        "next": target,
        "passkeys": _passkeys(user),
        "passkey_step": passkey_step,
        "minutes": settings.REAUTH_SECONDS // 60,
    }
    return render(request, "accounts/reauth.html", context)


def _reauthenticated(request: HttpRequest, target: str) -> HttpResponse:
    request.session[security.REAUTH_AT] = time.time()
    request.session.pop(security.REAUTH_PASSWORD_AT, None)
    security.record(AuthEvent.Kind.REAUTHENTICATED, request, user=request.user)
    return HttpResponseRedirect(target)


class PasskeyVerifiedView(CompleteCredentialAuthenticationView):  # type: ignore[misc]
    """The library's passkey check, recorded; after a fresh password it also re-authenticates."""

    def complete_auth(self, device: Any) -> Any:
        request: HttpRequest = self.request
        was_verified = security.is_verified(request)
        result = super().complete_auth(device)
        typed = request.session.pop(security.REAUTH_PASSWORD_AT, None)
        if isinstance(typed, int | float) and time.time() - typed <= REAUTH_PASSWORD_SECONDS:
            request.session[security.REAUTH_AT] = time.time()
            security.record(
                AuthEvent.Kind.REAUTHENTICATED, request, user=request.user, detail="passkey"
            )
        elif not was_verified:
            request.session[security.REAUTH_AT] = time.time()
            security.record(AuthEvent.Kind.VERIFIED, request, user=request.user, detail="passkey")
        return result
