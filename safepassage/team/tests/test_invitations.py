"""Invitations from the invite page to a working account, over a real SMTP server."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import mail_text, run_tasks, totp_code
from safepassage.accounts.models import INVITATION_DAYS, Invitation, Role
from safepassage.accounts.tests.world import PASSWORD, World, build_world, user
from safepassage.directory.models import Mission
from safepassage.outbox.models import Message
from safepassage.team import invitations

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESS = "Invited.Coordinator@example.org"
JOIN_LINK = re.compile(r"http://[^\s\"]+/team/join/([0-9a-f-]{36})/")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    cache.clear()


@pytest.fixture
def world(petition) -> World:
    return build_world(petition, sign=False)


def invite_url(world: World) -> str:
    return reverse("team:invite", args=[world.campaign.slug])


def form(world: World, **changes) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Ivy Invitee",
        "email": ADDRESS,
        "kind": "coordinator",
        "cities": "Washington, US\nBaltimore, United States",
        "missions": [str(world.embassy.pk)],
        "events": [str(world.event_a.pk)],
        "language": "en",
    }
    data.update(changes)
    return data


def everything_stored(*clients: Client) -> str:
    """All rows of every table, the decoded sessions and the clients' cookies."""
    out = io.StringIO()
    call_command("dumpdata", stdout=out, verbosity=0)
    sessions = [str(s.get_decoded()) for s in Session.objects.all()]
    cookies = [str(c.cookies) for c in clients]
    return "\n".join([out.getvalue(), *sessions, *cookies]).lower()


def test_an_invited_coordinator_gets_the_mail_an_account_and_the_role(world, smtp_server):
    organiser = world.clients["organiser"]
    response = organiser.post(invite_url(world), form(world))
    assert response.status_code == 302, response.context["form"].errors
    page = organiser.get(response["Location"]).content.decode()
    assert "Ivy Invitee" in page and ADDRESS.lower() not in page.lower()

    invitation = Invitation.objects.get()
    message = Message.objects.get(kind=Message.Kind.INVITATION)
    assert message.invitation == invitation and message.recipient_encrypted
    assert ADDRESS.lower() not in everything_stored(organiser)

    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == ADDRESS
    assert "city coordinator" in mail["Subject"] and world.campaign.title in mail["Subject"]
    text = mail_text(mail)
    assert "Washington, United States" in text and world.embassy.name in text
    match = JOIN_LINK.search(text)
    assert match and match.group(1) == str(invitation.token)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.recipient_encrypted == ""
    assert ADDRESS.lower() not in everything_stored(organiser)

    join = "/" + match.group(0).split("/", 3)[3]
    invitee = Client()
    assert "Create your account" in invitee.get(join).content.decode()
    weak = {"username": "ivy", "password1": "password", "password2": "password"}
    response = invitee.post(join, weak)
    assert response.status_code == 200 and "too common" in response.content.decode()
    assert not get_user_model().objects.filter(username="ivy").exists()

    good = {**weak, "first_name": "Ivy", "password1": PASSWORD, "password2": PASSWORD}
    response = invitee.post(join, good)
    assert response.status_code == 302
    assert response["Location"] == reverse("team:dashboard", args=[world.campaign.slug])
    account = get_user_model().objects.get(username="ivy")
    assert not account.is_staff and not account.is_superuser and account.email == ""
    role = Role.objects.get(user=account)
    assert (role.campaign, role.kind) == (world.campaign, Role.Kind.COORDINATOR)
    assigned = {(a.country, a.city, a.mission_id, a.event_id) for a in role.assignments.all()}
    assert assigned == {
        ("US", "Washington", None, None),
        ("US", "Baltimore", None, None),
        ("", "", world.embassy.pk, None),
        ("", "", None, world.event_a.pk),
    }
    invitation.refresh_from_db()
    assert invitation.accepted_by == account and invitation.accepted_at is not None

    dashboard = invitee.get(response["Location"]).content.decode()
    assert world.event_a.title in dashboard and world.event_b.title not in dashboard

    # The token works once, also for someone else and also when logged in.
    again = Client()
    assert again.get(join).status_code == 410
    response = again.post(join, {**good, "username": "mallory"})
    assert response.status_code == 410
    assert not get_user_model().objects.filter(username="mallory").exists()
    assert invitee.post(join).status_code == 410
    assert Role.objects.filter(user=account).count() == 1
    assert ADDRESS.lower() not in everything_stored(organiser, invitee, again)


def test_an_expired_invitation_is_refused_and_its_mail_withheld(world, smtp_server):
    invitation = invitations.invite(
        campaign=world.campaign,
        invited_by=world.users["organiser"],
        email=ADDRESS,
        name="Late Larry",
        kind=Role.Kind.COORDINATOR,
        assignments=[{"country": "US", "city": "Chicago"}],
    )
    old = timezone.now() - timedelta(days=INVITATION_DAYS, minutes=1)
    Invitation.objects.filter(pk=invitation.pk).update(created_at=old)
    run_tasks()
    message = Message.objects.get()
    assert message.status == Message.Status.WITHHELD and message.recipient_encrypted == ""
    assert smtp_server.messages == []
    join = reverse("team:join", args=[invitation.token])
    response = Client().get(join)
    assert response.status_code == 410 and "expired" in response.content.decode()
    response = Client().post(join, {"username": "larry", "password1": PASSWORD})
    assert response.status_code == 410
    assert not Role.objects.filter(user__username="larry").exists()


def test_a_revoked_invitation_sends_nothing_and_its_link_is_gone(world, smtp_server):
    invitation = invitations.invite(
        campaign=world.campaign,
        invited_by=world.users["organiser"],
        email=ADDRESS,
        name="Revoked Rita",
        kind=Role.Kind.ORGANISER,
    )
    token = invitation.token
    invitation.delete()
    run_tasks()
    assert Message.objects.get().status == Message.Status.WITHHELD
    assert smtp_server.messages == []
    assert Client().get(reverse("team:join", args=[token])).status_code == 404


def test_a_logged_in_person_accepts_with_their_account(world):
    invitation = invitations.invite(
        campaign=world.campaign,
        invited_by=world.users["organiser"],
        email=ADDRESS,
        name="Pat Partner",
        kind=Role.Kind.COORDINATOR,
        assignments=[{"mission": world.consulate.pk}],
    )
    partner = world.clients["partner"]
    join = reverse("team:join", args=[invitation.token])
    page = partner.get(join).content.decode()
    assert "Accept with this account" in page and "Create your account" not in page
    users_before = get_user_model().objects.count()
    assert partner.post(join).status_code == 302
    assert get_user_model().objects.count() == users_before
    account = world.users["partner"]
    kinds = set(Role.objects.filter(user=account).values_list("kind", flat=True))
    assert kinds == {Role.Kind.PARTNER_EDITOR, Role.Kind.COORDINATOR}
    html = partner.get(reverse("team:dashboard", args=[world.campaign.slug])).content.decode()
    assert "Bo Bravo-Attendee" in html  # now the Chicago consulate's coordinator


def test_an_invited_organiser_gets_the_admin_and_the_board(world):
    invitation = invitations.invite(
        campaign=world.campaign,
        invited_by=world.users["organiser"],
        email=ADDRESS,
        name="Olivia Organiser",
        kind=Role.Kind.ORGANISER,
    )
    client = Client()
    data = {"username": "olivia", "password1": PASSWORD, "password2": PASSWORD}
    assert client.post(reverse("team:join", args=[invitation.token]), data).status_code == 302
    account = get_user_model().objects.get(username="olivia")
    assert account.is_staff and not account.is_superuser
    assert account.groups.filter(name="Organisers").exists()
    # An organiser sees signer data, so the new account enrols a second factor first.
    board = reverse("team:board", args=[world.campaign.slug])
    assert client.get(board)["Location"].startswith(reverse("accounts:second_factor"))
    assert client.get(reverse("accounts:two_factor_setup")).status_code == 200
    pending = TOTPDevice.objects.get(user=account, confirmed=False)
    enrolled = client.post(reverse("accounts:two_factor_setup"), {"code": totp_code(pending)})
    assert enrolled.status_code == 200 and TOTPDevice.objects.get(user=account).confirmed
    assert client.get(board).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200
    roles = client.get(reverse("admin:accounts_role_changelist")).content.decode()
    assert "coord-washington" in roles


def test_a_partner_editor_is_invited_for_an_organisation(world):
    organiser = world.clients["organiser"]
    data = form(world, kind="partner_editor", cities="", missions=[], events=[])
    response = organiser.post(invite_url(world), data)
    assert "edits for an organisation" in response.content.decode()
    response = organiser.post(invite_url(world), {**data, "organisation": world.other_org.pk})
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.organisation == world.other_org and invitation.assignments == []


def test_the_invite_form_refuses_what_is_not_the_campaigns(world):
    organiser = world.clients["organiser"]
    foreign = Mission.objects.create(
        key="test-ru-emb",
        sending_state="RU",
        kind="embassy",
        name="Other state",
        host_country="US",
        city="Washington",
        source="test",
    )
    for changes in (
        {"missions": [str(foreign.pk)]},
        {"cities": "Atlantis, XX"},
        {"cities": "", "missions": [], "events": []},
        {"email": "not-an-address"},
    ):
        response = organiser.post(invite_url(world), form(world, **changes))
        assert response.status_code == 200, changes
    assert not Invitation.objects.exists() and not Message.objects.exists()


def test_roles_in_the_admin_are_those_of_the_organisers_campaigns(world):
    from safepassage.campaigns.models import Campaign

    other = world.other_campaign
    stranger = user("coord-elsewhere")
    Role.objects.create(user=stranger, campaign=other, kind=Role.Kind.COORDINATOR)
    organiser = world.clients["organiser"]
    html = organiser.get(reverse("admin:accounts_role_changelist")).content.decode()
    assert "coord-washington" in html and "coord-elsewhere" not in html
    assert reverse("team:invite", args=[world.campaign.slug]) in html
    add = organiser.get(reverse("admin:accounts_role_add")).content.decode()
    assert world.campaign.title in add and Campaign.objects.get(pk=other.pk).title not in add
    foreign = Role.objects.get(user=stranger)
    change = reverse("admin:accounts_role_change", args=[foreign.pk])
    assert organiser.get(change).status_code in (302, 404)
