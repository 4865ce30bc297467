"""The packet pages: organisers only, progress, interrupt/resume, audited downloads."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from personas import PASSWORD, make_user
from safepassage.accounts.models import Assignment, Role
from safepassage.campaigns.models import Organisation
from safepassage.packets import services
from safepassage.packets.models import Packet, PacketBuild, PacketDownload
from safepassage.packets.tests.conftest import Signers

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def build(petition: Any, missions: Any, signers: Signers, organiser: Any) -> PacketBuild:
    return services.start_build(petition.campaign, petition, scope="mission", user=organiser)


def urls(build: PacketBuild) -> list[tuple[str, str]]:
    slug = build.campaign.slug
    packet = build.packets.order_by("pk").first()
    assert packet is not None
    return [
        ("get", reverse("packets:index", args=[slug])),
        ("get", reverse("packets:build", args=[slug, build.pk])),
        ("post", reverse("packets:interrupt", args=[slug, build.pk])),
        ("post", reverse("packets:resume", args=[slug, build.pk])),
        ("get", reverse("packets:zip", args=[slug, build.pk])),
        ("get", reverse("packets:packet", args=[slug, build.pk, packet.pk])),
        ("post", reverse("packets:build-mission", args=[slug, build.pk, packet.mission_id])),
        ("post", reverse("packets:sharing", args=[slug])),
    ]


def test_anonymous_visitors_go_to_the_login_page(build: PacketBuild) -> None:
    client = Client()
    for method, url in urls(build):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/team/login/" in response["Location"]


def test_partner_editors_coordinators_and_strangers_are_refused_the_build_pages(
    build: PacketBuild,
) -> None:
    """Build pages are the organisers'; a packet of another mission does not exist (404)."""
    campaign = build.campaign
    organisation = Organisation.objects.create(name="Partner NGO", slug="partner-ngo")
    editor = make_user("edith")
    Role.objects.create(
        user=editor, campaign=campaign, kind=Role.Kind.PARTNER_EDITOR, organisation=organisation
    )
    coordinator = make_user("cora")
    role = Role.objects.create(user=coordinator, campaign=campaign, kind=Role.Kind.COORDINATOR)
    Assignment.objects.create(role=role, country="KR", city="Seoul")
    for user in (editor, coordinator, make_user("stranger")):
        client = client_for(user)
        for method, url in urls(build):
            theirs = url.endswith(("/pdf/", "/build/"))  # a packet: of another mission
            expected = 404 if user == coordinator and theirs else 403
            assert getattr(client, method)(url).status_code == expected, (user, url)
    assert PacketDownload.objects.count() == 0
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.RUNNING


def test_an_organiser_starts_a_build_from_the_page(
    petition: Any, missions: Any, signers: Signers, organiser: Any
) -> None:
    client = client_for(organiser)
    url = reverse("packets:index", args=[petition.campaign.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert "No letter is approved" in page.content.decode()
    response = client.post(url, {"petition": petition.pk, "scope": "all"})
    build = PacketBuild.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("packets:build", args=[petition.campaign.slug, build.pk])
    assert build.scope == "all" and build.created_by == organiser and build.total == 5


def test_progress_page_shows_done_total_and_failures_and_refreshes_while_running(
    build: PacketBuild, organiser: Any
) -> None:
    packets = list(build.packets.order_by("pk"))
    services.build_one(packets[0].pk)
    Packet.objects.filter(pk=packets[1].pk).update(
        status=Packet.Status.FAILED, error="RuntimeError while building the packet"
    )
    client = client_for(organiser)
    page = client.get(reverse("packets:build", args=[build.campaign.slug, build.pk]))
    html = page.content.decode()
    assert "1 of 5 packets built" in html
    assert "1 failed" in html
    assert "RuntimeError while building the packet" in html
    assert packets[1].mission.name in html
    assert '<meta http-equiv="refresh" content="3">' in html
    assert reverse("packets:interrupt", args=[build.campaign.slug, build.pk]) in html
    for email in ("@signer", "secretlocal"):
        assert email not in html

    client.post(reverse("packets:interrupt", args=[build.campaign.slug, build.pk]))
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.PAUSED
    html = client.get(
        reverse("packets:build", args=[build.campaign.slug, build.pk])
    ).content.decode()
    assert 'http-equiv="refresh"' not in html
    assert reverse("packets:resume", args=[build.campaign.slug, build.pk]) in html


def test_downloads_are_attachments_not_cached_and_audited(
    build: PacketBuild, organiser: Any
) -> None:
    for packet_id in build.packets.values_list("pk", flat=True):
        services.build_one(packet_id)
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.DONE
    client = client_for(organiser)
    packet = build.packets.get(mission__key="cn-e-de")
    response = client.get(
        reverse("packets:packet", args=[build.campaign.slug, build.pk, packet.pk])
    )
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == packet.sha256
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment;")
    # Its human name, with an ASCII fallback (RFC 6266).
    assert response["Content-Disposition"] == (
        'attachment; filename="2026-09-24 Berlin - Embassy of China in Berlin.pdf"; '
        "filename*=UTF-8''2026-09-24%20Berlin%20%E2%80%94%20Embassy%20of%20China%20in%20Berlin.pdf"
    )
    assert response["Content-Type"] == "application/pdf"

    response = client.get(reverse("packets:zip", args=[build.campaign.slug, build.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == build.zip_sha256
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"].startswith("attachment;")

    logged = list(PacketDownload.objects.order_by("pk"))
    assert [(d.packet_id, d.user_id, d.sha256) for d in logged] == [
        (packet.pk, organiser.pk, packet.sha256),
        (None, organiser.pk, build.zip_sha256),
    ]


def test_the_zip_of_an_unfinished_build_does_not_exist(build: PacketBuild, organiser: Any) -> None:
    client = client_for(organiser)
    assert (
        client.get(reverse("packets:zip", args=[build.campaign.slug, build.pk])).status_code == 404
    )
    assert PacketDownload.objects.count() == 0
