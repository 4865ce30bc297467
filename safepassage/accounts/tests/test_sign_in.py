"""Strong accounts: lockout, the second factor, the audit trail, session limits, re-authentication.

Tests marked ``raw_login`` go through the real pages: the test client's
login does not pass the second factor for them (conftest.second_factor_at_login).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from conftest import totp_code, totp_device
from personas import PASSWORD, organiser_of
from safepassage.accounts import security
from safepassage.accounts.models import AuthEvent, Role
from safepassage.accounts.services import grant_admin
from safepassage.team.forms import JoinForm

TEAM_LOGIN = "/team/login/"
ADMIN_LOGIN = "/admin/login/"


def organiser(petition: Any, username: str = "olga-organiser") -> Any:
    user = organiser_of(petition.campaign, username)
    grant_admin(user)
    return user


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def hammer(client: Client, url: str, username: str, times: int = 30) -> None:
    for _ in range(times):
        client.post(url, {"username": username, "password": "wrong-password-guess"})


@pytest.mark.raw_login
@pytest.mark.parametrize("url", [TEAM_LOGIN, ADMIN_LOGIN])
def test_thirty_wrong_passwords_then_the_right_one_is_refused(petition: Any, url: str) -> None:
    user = organiser(petition)
    client = Client()
    hammer(client, url, user.username)
    response = client.post(url, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Login locked" in response.content.decode()
    assert not logged_in(client)


@pytest.mark.raw_login
def test_a_locked_address_is_refused_for_other_accounts_too(petition: Any) -> None:
    organiser(petition)
    other = organiser(petition, "second-organiser")
    client = Client()
    hammer(client, TEAM_LOGIN, "no-such-account", times=10)
    response = client.post(TEAM_LOGIN, {"username": other.username, "password": PASSWORD})
    assert response.status_code == 429
    assert not logged_in(client)


@pytest.mark.raw_login
def test_the_unlock_command_lets_the_account_in_again(petition: Any) -> None:
    user = organiser(petition)
    hammer(Client(), TEAM_LOGIN, user.username)
    call_command("axes_reset", verbosity=0)
    client = Client()
    response = client.post(TEAM_LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert logged_in(client)


def test_an_organiser_unlocks_an_account_of_their_campaign_in_the_admin(petition: Any) -> None:
    locked = organiser(petition, "locked-out-lee")
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    hammer(attacker, TEAM_LOGIN, locked.username, times=6)
    boss = organiser(petition, "boss-organiser")
    admin = Client()
    admin.force_login(boss)
    admin_session = admin.session
    admin_session[security.REAUTH_AT] = time.time()
    admin_session.save()
    lockout = AuthEvent.objects.filter(kind=AuthEvent.Kind.LOCKOUT, user=locked).first()
    assert lockout is not None
    response = admin.post(
        reverse("admin:accounts_authevent_changelist"),
        {"action": "unlock", "_selected_action": [lockout.pk]},
    )
    assert response.status_code == 302
    assert AuthEvent.objects.filter(kind=AuthEvent.Kind.UNLOCK, user=locked).exists()
    client = Client(REMOTE_ADDR="198.51.100.4")
    response = client.post(TEAM_LOGIN, {"username": locked.username, "password": PASSWORD})
    assert response.status_code == 302


@pytest.mark.raw_login
def test_failures_and_the_lockout_are_recorded_without_address_or_password(
    petition: Any, caplog: pytest.LogCaptureFixture
) -> None:
    user = organiser(petition)
    client = Client(REMOTE_ADDR="192.0.2.77")
    with caplog.at_level(logging.INFO):
        hammer(client, TEAM_LOGIN, user.username, times=6)
    kinds = list(AuthEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert kinds.count(AuthEvent.Kind.FAILURE) >= 5
    assert AuthEvent.Kind.LOCKOUT in kinds
    event = AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.FAILURE).first()
    assert event is not None and event.username == user.username
    assert event.ip_hash and "192.0.2.77" not in event.ip_hash
    lines = [r.getMessage() for r in caplog.records if r.name == "safepassage.accounts.auth"]
    assert any("failure" in line for line in lines)
    assert any("lockout" in line for line in lines)
    text = " ".join(r.getMessage() for r in caplog.records)
    assert "192.0.2.77" not in text
    assert "wrong-password-guess" not in text
    assert user.username not in text


def test_the_audit_trail_shows_an_organiser_only_their_campaigns_people(petition: Any) -> None:
    from safepassage.accounts.audit_admin import visible_events

    mine = organiser(petition, "my-organiser")
    stranger = get_user_model().objects.create_user("stranger", password=PASSWORD)
    security.record(AuthEvent.Kind.FAILURE, None, user=stranger)
    security.record(AuthEvent.Kind.FAILURE, None, user=mine)
    assert set(visible_events(mine).values_list("user__username", flat=True)) == {"my-organiser"}


@pytest.mark.parametrize(("password", "accepted"), [("kq8-vz3-mw1", False), ("kq8-vz3-mw1x", True)])
def test_join_form_refuses_passwords_shorter_than_twelve(
    db: None, password: str, accepted: bool
) -> None:
    form = JoinForm(
        {
            "username": "new-person",
            "first_name": "New",
            "last_name": "Person",
            "password1": password,
            "password2": password,
        }
    )
    assert form.is_valid() is accepted


def test_an_idle_staff_session_expires_and_goes_to_login(petition: Any) -> None:
    user = organiser(petition)
    client = Client()
    client.force_login(user)
    assert client.get("/team/").status_code == 200
    session = client.session
    session[security.SEEN_AT] = time.time() - 31 * 60
    session.save()
    response = client.get("/team/")
    assert response.status_code == 302
    assert response["Location"].startswith(TEAM_LOGIN)
    assert not logged_in(client)
    assert AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.EXPIRED).exists()


def test_a_staff_session_ends_twelve_hours_after_the_password(petition: Any) -> None:
    user = organiser(petition)
    client = Client()
    client.force_login(user)
    session = client.session
    session[security.AUTH_AT] = time.time() - 12 * 3600 - 1
    session.save()
    assert client.get("/admin/").status_code == 302
    assert not logged_in(client)


def stale(client: Client) -> None:
    """The last password + second factor was longer ago than REAUTH_SECONDS."""
    session = client.session
    session[security.REAUTH_AT] = time.time() - 11 * 60
    session.save()


def test_contacts_export_asks_for_password_and_code_again(petition: Any) -> None:
    user = organiser(petition)
    client = Client()
    client.force_login(user)
    stale(client)
    url = reverse("exports:download", args=[petition.campaign.slug, "contacts", "csv"])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth"))
    refused = client.post(response["Location"], {"password": PASSWORD, "code": "000000"})
    assert refused.status_code == 200
    assert client.get(url).status_code == 302
    unthrottle(user)
    answer = client.post(
        response["Location"], {"password": PASSWORD, "code": totp_code(totp_device(user))}
    )
    assert answer.status_code == 302 and answer["Location"] == url
    assert client.get(url).status_code == 200
    assert AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.REAUTHENTICATED).exists()


def test_api_token_creation_asks_for_fresh_authentication(petition: Any) -> None:
    user = organiser(petition)
    client = Client()
    client.force_login(user)
    stale(client)
    response = client.post("/api/tokens/", {"name": "mine", "scope": "read"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:reauth"))


@pytest.mark.raw_login
def test_organiser_without_second_factor_cannot_see_signatures_until_enrolled(
    petition: Any,
) -> None:
    user = organiser(petition)
    client = Client()
    assert client.post(ADMIN_LOGIN, {"username": user.username, "password": PASSWORD}).status_code
    assert logged_in(client)
    for url in ("/admin/signatures/signature/", "/admin/", "/team/", "/api/tokens/"):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("accounts:two_factor_setup")), url
    page = client.get(reverse("accounts:two_factor_setup"))
    assert page.status_code == 200
    assert "otpauth://totp/" in page.content.decode()
    device = totp_device_pending(user)
    done = client.post(reverse("accounts:two_factor_setup"), {"code": totp_code(device)})
    assert done.status_code == 200
    assert len(done.context["codes"]) == 10
    assert client.get("/admin/signatures/signature/").status_code == 200
    assert AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.MFA_ENROLLED).exists()


def unthrottle(user: Any) -> None:
    """Skip django-otp's own growing wait after a wrong code (1 s, 2 s, 4 s...)."""
    device = totp_device(user)
    device.throttling_failure_count = 0
    device.save()


def totp_device_pending(user: Any) -> Any:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.get(user=user, confirmed=False)


@pytest.mark.raw_login
def test_login_with_an_authenticator_app_end_to_end(petition: Any) -> None:
    user = organiser(petition)
    device = totp_device(user)
    client = Client()
    response = client.post(TEAM_LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    step = client.get("/team/")
    assert step.status_code == 302
    assert step["Location"].startswith(reverse("accounts:second_factor"))
    wrong = client.post(step["Location"], {"code": "000000"})
    assert wrong.status_code == 200 and wrong.context["form"].errors
    assert client.get("/admin/").status_code == 302
    unthrottle(user)
    right = client.post(step["Location"], {"code": totp_code(device)})
    assert right.status_code == 302 and right["Location"] == "/team/"
    assert client.get("/team/").status_code == 200
    kinds = set(AuthEvent.objects.filter(user=user).values_list("kind", flat=True))
    assert {AuthEvent.Kind.LOGIN, AuthEvent.Kind.SECOND_FACTOR_FAILURE} <= kinds
    assert AuthEvent.Kind.VERIFIED in kinds


@pytest.mark.raw_login
def test_wrong_codes_lock_the_account_out(petition: Any) -> None:
    user = organiser(petition)
    totp_device(user)
    client = Client()
    client.post(TEAM_LOGIN, {"username": user.username, "password": PASSWORD})
    answers = [
        client.post(reverse("accounts:second_factor"), {"code": "123456"}).status_code
        for _ in range(5)
    ]
    assert answers[-1] == 429
    assert not logged_in(client)
    again = Client().post(TEAM_LOGIN, {"username": user.username, "password": PASSWORD})
    assert again.status_code == 429


@pytest.mark.raw_login
def test_a_recovery_code_passes_the_second_factor_once(petition: Any) -> None:
    from django_otp.plugins.otp_static.models import StaticDevice

    user = organiser(petition)
    totp_device(user)
    sheet = StaticDevice.objects.create(user=user, name="recovery codes", confirmed=True)
    sheet.token_set.create(token="abcd2345")
    client = Client()
    client.post(TEAM_LOGIN, {"username": user.username, "password": PASSWORD})
    response = client.post(reverse("accounts:second_factor"), {"code": "abcd 2345"})
    assert response.status_code == 302
    assert AuthEvent.objects.filter(user=user, kind=AuthEvent.Kind.RECOVERY_CODE).exists()
    assert not sheet.token_set.exists()


@pytest.mark.raw_login
def test_a_password_alone_cannot_add_a_device_to_an_enrolled_account(petition: Any) -> None:
    user = organiser(petition)
    totp_device(user)
    client = Client()
    client.post(TEAM_LOGIN, {"username": user.username, "password": PASSWORD})
    response = client.get(reverse("accounts:two_factor_setup"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:second_factor"))
    begin = client.post(reverse("otp_webauthn:credential-registration-begin"))
    assert begin.status_code in (401, 403)


def test_passkey_endpoints_answer_an_enrolled_user(petition: Any) -> None:
    user = organiser(petition)
    client = Client()
    client.force_login(user)
    registration = client.post(reverse("otp_webauthn:credential-registration-begin"))
    assert registration.status_code == 200
    assert registration.json()["challenge"]
    authentication = client.post(reverse("otp_webauthn:credential-authentication-begin"))
    assert authentication.status_code == 200
    assert authentication.json()["challenge"]
    page = client.get(reverse("accounts:two_factor_setup"))
    assert 'id="passkey-registration-placeholder"' in page.content.decode()


def test_coordinators_are_offered_a_second_factor_but_not_forced(petition: Any) -> None:
    user = get_user_model().objects.create_user("coordinator-cho", password=PASSWORD)
    Role.objects.create(user=user, campaign=petition.campaign, kind=Role.Kind.COORDINATOR)
    assert not security.second_factor_enforced(user)
    client = Client()
    client.force_login(user)
    assert client.get("/team/").status_code == 200
    assert client.get(reverse("accounts:two_factor_setup")).status_code == 200
