"""The organisers' moderation page: who may use it, the preview step, no e-mail shown."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from safepassage.accounts.models import Role
from safepassage.campaigns.models import Organisation, Petition
from safepassage.signatures.models import ModerationAction, Signature
from safepassage.signatures.tests.test_moderation import sign

pytestmark = pytest.mark.django_db

EMAILS = ("bot.one@mailinator.com", "bot.two@mailinator.com", "xi.joker@example.org")


@pytest.fixture
def world(petition: Petition, settings: Any) -> dict[str, Any]:
    settings.THROTTLE_PER_IP = 10_000
    settings.THROTTLE_PER_PETITION = 10_000
    cache.clear()
    campaign = petition.campaign
    organisation = Organisation.objects.create(name="Partner", slug="partner-org")
    users = {}
    for name, kind in (
        ("organiser", Role.Kind.ORGANISER),
        ("partner", Role.Kind.PARTNER_EDITOR),
        ("coordinator", Role.Kind.COORDINATOR),
        ("outsider", None),
    ):
        user = User.objects.create_user(name, password="a-long-test-password-9731")
        if kind is not None:
            Role.objects.create(
                user=user,
                campaign=campaign,
                kind=kind,
                organisation=organisation if kind == Role.Kind.PARTNER_EDITOR else None,
            )
        users[name] = user
    signatures = {
        "bot1": sign(petition, EMAILS[0], name=("Bot", "One")),
        "bot2": sign(petition, EMAILS[1], name=("Bot", "Two")),
        "joke": sign(petition, EMAILS[2], name=("Xi", "Jinping")),
    }
    return {"campaign": campaign, "petition": petition, "users": users, "sig": signatures}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def url(world: dict[str, Any], name: str = "", *args: Any) -> str:
    view = f"signatures:moderation_{name}" if name else "signatures:moderation"
    return reverse(view, args=[world["campaign"].slug, *args])


def assert_no_email(html: str) -> None:
    lowered = html.lower()
    assert "@" not in lowered.replace("@media", "")
    for address in EMAILS:
        assert address.split("@")[0] not in lowered
    # The signers' domains appear only where an organiser typed one (mailinator.com).
    assert "example.org" not in lowered


def test_only_organisers_may_use_the_page(world: dict[str, Any]) -> None:
    users = world["users"]
    index = url(world)
    response = client_for(None).get(index)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]
    assert client_for(users["partner"]).get(index).status_code == 403
    assert client_for(users["coordinator"]).get(index).status_code == 403
    assert client_for(users["outsider"]).get(index).status_code == 404
    assert client_for(users["organiser"]).get(index).status_code == 200
    # The actions are refused the same way, and change nothing.
    joke = world["sig"]["joke"]
    for name in ("partner", "coordinator"):
        response = client_for(users[name]).post(
            url(world, "names"), {"signatures": [joke.pk], "reason": "x", "kind": "hide"}
        )
        assert response.status_code == 403
        response = client_for(users[name]).post(
            url(world, "invalidate"),
            {"domain": "mailinator.com", "reason": "x", "step": "confirm"},
        )
        assert response.status_code == 403
    assert client_for(None).post(url(world, "names"), {}).status_code == 302
    assert ModerationAction.objects.count() == 0
    # GET is not a way to act.
    assert client_for(users["organiser"]).get(url(world, "names")).status_code == 405


def test_search_and_withhold_names(world: dict[str, Any]) -> None:
    client = client_for(world["users"]["organiser"])
    joke = world["sig"]["joke"]
    page = client.get(url(world), {"q": "xi jinp"})
    html = page.content.decode()
    assert "Xi Jinping" in html and "Bot One" not in html
    assert f'value="{joke.pk}"' in html
    assert_no_email(html)

    response = client.post(
        url(world, "names"),
        {"petition": world["petition"].slug, "signatures": [joke.pk], "reason": "joke name",
         "kind": "hide"},
    )  # fmt: skip
    assert response.status_code == 302
    joke.refresh_from_db()
    assert joke.name_withheld
    action = ModerationAction.objects.get()
    assert action.reason == "joke name" and action.created_by == world["users"]["organiser"]
    page = client.get(response["Location"])
    assert "withheld from the packets" in page.content.decode()

    # No reason: refused, nothing changes.
    response = client.post(
        url(world, "names"), {"signatures": [world["sig"]["bot1"].pk], "reason": "", "kind": "hide"}
    )
    assert response.status_code == 400
    assert not Signature.objects.get(pk=world["sig"]["bot1"].pk).name_withheld


def test_invalidate_previews_then_confirms(world: dict[str, Any]) -> None:
    client = client_for(world["users"]["organiser"])
    petition = world["petition"]
    assert Signature.objects.filter(petition=petition).counted().count() == 3
    form = {
        "petition": petition.slug,
        "domain": "mailinator.com",
        "start": "2020-01-01T00:00",
        "reason": "disposable flood",
    }
    preview = client.post(url(world, "invalidate"), {**form, "step": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "2 signatures match." in html
    assert 'name="step" value="confirm"' in html
    assert 'type="hidden" name="start" value="2020-01-01T00:00"' in html
    assert ModerationAction.objects.count() == 0
    assert Signature.objects.filter(petition=petition).counted().count() == 3
    assert_no_email(html)

    done = client.post(url(world, "invalidate"), {**form, "step": "confirm"})
    assert done.status_code == 302
    assert Signature.objects.filter(petition=petition).counted().count() == 1
    action = ModerationAction.objects.get()
    assert action.affected == 2
    assert action.criteria["from"] == "2020-01-01T00:00:00+00:00"

    page = client.get(done["Location"]).content.decode()
    assert "2 signatures are no longer counted" in page
    assert "disposable flood" in page
    assert url(world, "reverse", action.pk) in page
    assert_no_email(page)

    reversed_ = client.post(url(world, "reverse", action.pk))
    assert reversed_.status_code == 302
    assert Signature.objects.filter(petition=petition).counted().count() == 3
    again = client.post(url(world, "reverse", action.pk), follow=True)
    assert "already been reversed" in again.content.decode()
    assert Signature.objects.filter(petition=petition).counted().count() == 3


def test_invalidate_needs_a_criterion_and_a_reason(world: dict[str, Any]) -> None:
    client = client_for(world["users"]["organiser"])
    response = client.post(url(world, "invalidate"), {"reason": "x", "step": "confirm"})
    assert response.status_code == 400
    assert "at least one" in response.content.decode()
    response = client.post(
        url(world, "invalidate"), {"domain": "mailinator.com", "reason": "", "step": "confirm"}
    )
    assert response.status_code == 400
    assert ModerationAction.objects.count() == 0


def test_actions_of_another_campaign_cannot_be_reversed(world: dict[str, Any]) -> None:
    from safepassage.core.demo import load_demo

    other_petition = load_demo(2025)
    other = sign(other_petition, "elsewhere@mailinator.com")
    from safepassage.signatures import moderation

    action = moderation.invalidate(
        other_petition, domain="mailinator.com", reason="x", user=world["users"]["organiser"]
    )
    client = client_for(world["users"]["organiser"])
    assert client.post(url(world, "reverse", action.pk)).status_code == 404
    other.refresh_from_db()
    assert other.review_reason == action.marker


def test_admin_action_withholds_names_with_a_reason(world: dict[str, Any]) -> None:
    admin_user = User.objects.create_superuser("root", password="a-long-test-password-9731")
    client = client_for(admin_user)
    changelist = reverse("admin:signatures_signature_changelist")
    joke = world["sig"]["joke"]
    asked = client.post(changelist, {"action": "withhold_names", "_selected_action": [joke.pk]})
    assert asked.status_code == 200
    assert "Xi Jinping" in asked.content.decode()
    assert_no_email(asked.content.decode())
    joke.refresh_from_db()
    assert not joke.name_withheld
    done = client.post(
        changelist,
        {"action": "withhold_names", "_selected_action": [joke.pk], "confirm": "yes",
         "reason": "abusive"},
    )  # fmt: skip
    assert done.status_code == 302
    joke.refresh_from_db()
    assert joke.name_withheld
    assert ModerationAction.objects.get().reason == "abusive"


def test_an_action_tells_the_organiser_which_packets_to_build_again(
    world: dict[str, Any],
) -> None:
    from django.utils import timezone

    from safepassage.directory.models import Mission
    from safepassage.packets.models import Packet, PacketBuild, PacketEntry

    petition = world["petition"]
    joke = world["sig"]["joke"]
    build = PacketBuild.objects.create(
        campaign=world["campaign"],
        petition=petition,
        status=PacketBuild.Status.DONE,
        snapshot_at=timezone.now(),
        max_signature_id=joke.pk,
    )
    missions = [
        Mission.objects.create(
            key=f"cn-e-{code}", sending_state="CN", kind="embassy", name=f"Embassy {code}",
            host_country=code.upper(), city="Capital", source="https://example.org/missions",
        )
        for code in ("de", "fr")
    ]  # fmt: skip
    listing, other = (
        Packet.objects.create(
            build=build, mission=mission, status=Packet.Status.DONE, sha256="0" * 64
        )
        for mission in missions
    )
    PacketEntry.objects.create(build=build, signature=joke, mission=missions[0])
    client = client_for(world["users"]["organiser"])
    response = client.post(
        url(world, "names"),
        {"petition": petition.slug, "signatures": [joke.pk], "reason": "joke name", "kind": "hide"},
    )
    html = client.get(response["Location"]).content.decode()
    build.refresh_from_db()
    listing.refresh_from_db()
    other.refresh_from_db()
    # Only the packet that printed the name is set back; the other keeps its file.
    assert build.status == PacketBuild.Status.PAUSED
    assert listing.status == Packet.Status.PENDING
    assert listing.stale_reason == Packet.StaleReason.MODERATED
    assert other.status == Packet.Status.DONE and not other.stale_reason
    assert "1 packet of this petition is out of date" in html
    assert "build it again on the packets page" in html
