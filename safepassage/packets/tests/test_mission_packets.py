"""Packets for those who deliver: their missions only, human names, "build this mission now"."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from personas import make_user
from safepassage.accounts.models import Assignment, Role
from safepassage.campaigns.models import Organisation
from safepassage.events.models import Event
from safepassage.packets import naming, services
from safepassage.packets.models import Packet, PacketBuild, PacketDownload, PacketSharing
from safepassage.packets.permissions import coordinator_missions
from safepassage.packets.tests.conftest import Signers, make_mission, pdf_text, sign
from safepassage.packets.tests.test_build import list_section, packet_bytes, run_all, start
from safepassage.packets.tests.test_views import client_for
from safepassage.signatures import services as signing

pytestmark = pytest.mark.django_db

BERLIN_NAME = "2026-09-24 Berlin — Embassy of China in Berlin.pdf"


# --- names ---------------------------------------------------------------------------------


def test_a_packet_is_named_by_day_city_and_mission() -> None:
    name = naming.packet_name(
        dt.date(2026, 9, 24), "Chicago", "Consulate-General of the PRC in Chicago"
    )
    assert name == "2026-09-24 Chicago — Consulate-General of the PRC in Chicago.pdf"
    assert naming.packet_name(dt.date(2026, 9, 24), "", "Embassy") == "2026-09-24 — Embassy.pdf"


def test_names_are_safe_on_every_file_system_and_keep_every_script() -> None:
    name = naming.packet_name(
        dt.date(2026, 9, 24), "São Paulo", 'Consulado: "geral"/da\\China*?<>|\x00\x1f\t\n fim'
    )
    assert name == "2026-09-24 São Paulo — Consulado geral da China fim.pdf"
    for character in '/\\:*?"<>|\x00\x1f\n':
        assert character not in name
    assert naming.packet_name(None, "서울", "中华人民共和国驻大韩民国大使馆") == (
        "서울 — 中华人民共和国驻大韩民国大使馆.pdf"
    )
    # Names Windows reserves, and names of dots only.
    assert naming.safe_filename("CON", "pdf") == "CON_.pdf"
    assert naming.safe_filename("nul.txt", "pdf") == "nul.txt_.pdf"
    assert naming.safe_filename(" ... ", "pdf") == "packet.pdf"
    # Long names are cut within a character and fit every file system.
    long = naming.packet_name(dt.date(2026, 9, 24), "東京", "大使館" * 200)
    assert len(long.encode("utf-8")) <= naming.MAX_BYTES and long.endswith("館.pdf")
    long.encode("utf-8").decode("utf-8")  # no cut character


def test_duplicate_names_are_numbered_as_a_case_insensitive_file_system_needs() -> None:
    assert naming.unique_names(["a.pdf", "b.pdf", "A.pdf", "a.pdf", "a (2).pdf"]) == [
        "a.pdf",
        "b.pdf",
        "A (2).pdf",
        "a (3).pdf",
        "a (2) (2).pdf",
    ]


def test_the_download_header_has_an_ascii_fallback_and_the_utf8_name() -> None:
    assert naming.content_disposition("plain.pdf") == 'attachment; filename="plain.pdf"'
    header = naming.content_disposition("2026-09-24 Genève — Consulat 总领馆.pdf")
    assert header == (
        'attachment; filename="2026-09-24 Geneve - Consulat.pdf"; '
        "filename*=UTF-8''2026-09-24%20Gen%C3%A8ve%20%E2%80%94%20Consulat%20%E6%80%BB%E9%A2%86%E9%A6%86.pdf"
    )
    assert naming.content_disposition("北京.pdf").startswith('attachment; filename="packet.pdf"')


def test_two_missions_of_the_same_name_get_two_files_in_the_zip(
    petition: Any, missions: Any, signers: Signers
) -> None:
    twin = make_mission("cn-e-de-2", "embassy", "DE", "Berlin", name="Embassy of China in Berlin")
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    with build.zip_file.open("rb") as handle:
        zipped = zipfile.ZipFile(io.BytesIO(handle.read()))
    names = zipped.namelist()
    twin_name = "2026-09-24 Berlin — Embassy of China in Berlin (2).pdf"
    assert BERLIN_NAME in names and twin_name in names
    # Ordered by mission key: cn-e-de keeps the plain name.
    berlin = build.packets.get(mission__key="cn-e-de")
    assert hashlib.sha256(zipped.read(BERLIN_NAME)).hexdigest() == berlin.sha256
    other = build.packets.get(mission=twin)
    assert hashlib.sha256(zipped.read(twin_name)).hexdigest() == other.sha256
    manifest = zipped.read("manifest.csv").decode()
    assert "cn-e-de-2,Embassy of China in Berlin,Berlin,Germany" in manifest
    assert manifest.count(twin_name) == 1 and manifest.count(BERLIN_NAME) == 1


# --- who gets which packet ------------------------------------------------------------------


@pytest.fixture
def built(petition: Any, missions: Any, signers: Signers, organiser: Any) -> PacketBuild:
    build = start(petition, user=organiser)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    return build


def coordinator(campaign: Any, name: str, **assignment: Any) -> Any:
    user = make_user(name)
    role = Role.objects.create(user=user, campaign=campaign, kind=Role.Kind.COORDINATOR)
    Assignment.objects.create(role=role, **assignment)
    return user


def packet_url(build: PacketBuild, key: str) -> str:
    packet = build.packets.get(mission__key=key)
    return reverse("packets:packet", args=[build.campaign.slug, build.pk, packet.pk])


def rebuild_url(build: PacketBuild, mission: Any) -> str:
    return reverse("packets:build-mission", args=[build.campaign.slug, build.pk, mission.pk])


def dashboard(client: Client, build: PacketBuild) -> str:
    response = client.get(reverse("team:dashboard", args=[build.campaign.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_a_coordinator_downloads_their_missions_packet_by_its_human_name_audited(
    built: PacketBuild, missions: Any
) -> None:
    campaign = built.campaign
    cora = coordinator(campaign, "cora", mission=missions["berlin"])
    client = client_for(cora)

    html = dashboard(client, built)
    assert 'id="packets"' in html
    assert BERLIN_NAME in html and packet_url(built, "cn-e-de") in html
    assert "Seoul" not in html.split('id="packets"')[1].split("</section>")[0]
    assert "Build this mission now" in html

    response = client.get(packet_url(built, "cn-e-de"))
    assert response.status_code == 200
    berlin = built.packets.get(mission__key="cn-e-de")
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert hashlib.sha256(body).hexdigest() == berlin.sha256
    assert (
        "filename*=UTF-8''2026-09-24%20Berlin%20%E2%80%94%20Embassy"
        in (response["Content-Disposition"])
    )
    assert response["Cache-Control"] == "no-store"
    [download] = PacketDownload.objects.all()
    assert (download.packet, download.user, download.sha256) == (berlin, cora, berlin.sha256)

    # Nothing of another mission, and none of the organisers' pages.
    for key in ("cn-e-kr", "cn-e-jp", "cn-cg-munich"):
        assert client.get(packet_url(built, key)).status_code == 404, key
    assert client.post(rebuild_url(built, missions["seoul"])).status_code == 404
    assert client.get(reverse("packets:index", args=[campaign.slug])).status_code == 403
    assert client.get(reverse("packets:build", args=[campaign.slug, built.pk])).status_code == 403
    assert client.get(reverse("packets:zip", args=[campaign.slug, built.pk])).status_code == 403
    assert PacketDownload.objects.count() == 1


def test_a_coordinators_missions_are_those_of_their_deliveries(
    built: PacketBuild, missions: Any
) -> None:
    campaign = built.campaign
    by_city = coordinator(campaign, "city", country="DE", city=" munich ")
    vigil = Event.objects.create(
        campaign=campaign,
        kind=Event.Kind.VIGIL,
        title="Vigil",
        starts_at=timezone.now() + dt.timedelta(days=3),
        time_zone="Asia/Tokyo",
        city="Tokyo",
        country="JP",
        mission=missions["tokyo"],
    )
    by_event = coordinator(campaign, "event", event=vigil)
    assert coordinator_missions(by_city, campaign) == {missions["munich"].pk}
    assert coordinator_missions(by_event, campaign) == {missions["tokyo"].pk}
    assert client_for(by_city).get(packet_url(built, "cn-cg-munich")).status_code == 200
    assert client_for(by_city).get(packet_url(built, "cn-e-de")).status_code == 404
    assert client_for(by_event).get(packet_url(built, "cn-e-jp")).status_code == 200
    # A role in another campaign grants nothing here.
    assert client_for(make_user("nobody")).get(packet_url(built, "cn-e-jp")).status_code == 403


def test_partner_editors_download_their_events_missions_only_when_organisers_allow(
    built: PacketBuild, missions: Any, organiser: Any
) -> None:
    campaign = built.campaign
    union = Organisation.objects.create(name="Free Korea Union", slug="fku")
    editor = make_user("edith")
    Role.objects.create(
        user=editor, campaign=campaign, kind=Role.Kind.PARTNER_EDITOR, organisation=union
    )
    Event.objects.create(
        campaign=campaign,
        kind=Event.Kind.DELIVERY,
        title="Hand-over in Seoul",
        starts_at=timezone.now() + dt.timedelta(days=3),
        time_zone="Asia/Seoul",
        city="Seoul",
        country="KR",
        mission=missions["seoul"],
        host=union,
    )
    client = client_for(editor)
    seoul = packet_url(built, "cn-e-kr")
    assert client.get(seoul).status_code == 403
    assert 'id="packets"' not in dashboard(client, built)

    organisers = client_for(organiser)
    page = organisers.get(reverse("packets:index", args=[campaign.slug])).content.decode()
    assert "Who may download packets" in page
    response = organisers.post(
        reverse("packets:sharing", args=[campaign.slug]), {"partners_may_download": "on"}
    )
    assert response.status_code == 302
    sharing = PacketSharing.objects.get(campaign=campaign)
    assert sharing.partners_may_download and sharing.changed_by == organiser

    assert client.get(seoul).status_code == 200
    assert "2026-09-24 Seoul — Embassy of China in Seoul.pdf" in dashboard(client, built)
    assert client.get(packet_url(built, "cn-e-de")).status_code == 404
    # Download only: building again is for organisers and coordinators.
    assert client.post(rebuild_url(built, missions["seoul"])).status_code == 404

    organisers.post(reverse("packets:sharing", args=[campaign.slug]), {})
    assert client.get(seoul).status_code == 403


# --- build this mission now -----------------------------------------------------------------


def test_build_this_mission_now_takes_a_fresh_snapshot_for_that_mission_alone(
    built: PacketBuild, petition: Any, missions: Any, django_capture_on_commit_callbacks: Any
) -> None:
    campaign = built.campaign
    cora = coordinator(campaign, "cora", mission=missions["berlin"])
    before = dict(built.packets.values_list("mission__key", "sha256"))
    sign(petition, missions["berlin"], "Späterin", "Nachzüglerin", city="Berlin")
    sign(petition, missions["seoul"], "Later", "Seoulite", city="Seoul", country="KR")
    client = client_for(cora)
    dashboard_url = reverse("team:dashboard", args=[campaign.slug])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(rebuild_url(built, missions["berlin"]), {"next": dashboard_url})
    assert response.status_code == 302 and response["Location"] == dashboard_url
    built.refresh_from_db()
    berlin = built.packets.get(mission__key="cn-e-de")
    assert berlin.status == Packet.Status.PENDING
    assert built.status == PacketBuild.Status.RUNNING
    assert "being built" in dashboard(client, built)
    for callback in callbacks:
        callback()  # the files go, the task is queued
    services.build_one(berlin.pk, alone=True)
    built.refresh_from_db()
    assert built.status == PacketBuild.Status.DONE and built.zip_sha256
    after = dict(built.packets.values_list("mission__key", "sha256"))
    assert after["cn-e-de"] != before["cn-e-de"]
    for key in ("cn-e-kr", "cn-e-jp", "cn-cg-munich", "cn-e-is"):
        assert after[key] == before[key], key
    assert "Nachzüglerin" in list_section(pdf_text(packet_bytes(built, "cn-e-de")))
    assert "Seoulite" not in list_section(pdf_text(packet_bytes(built, "cn-e-kr")))


def test_after_a_withdrawal_the_dashboard_says_why_and_only_that_mission_is_rebuilt(
    built: PacketBuild, petition: Any, missions: Any, signers: Signers
) -> None:
    campaign = built.campaign
    cora = coordinator(campaign, "cora", country="DE", city="Berlin")
    before = dict(built.packets.values_list("mission__key", "sha256"))
    signing.erase(signers.named["anna"], "withdrawn")
    built.refresh_from_db()
    assert built.status == PacketBuild.Status.PAUSED
    client = client_for(cora)
    html = dashboard(client, built)
    assert 'data-state="stale"' in html
    assert "Out of date: a signer withdrew or was erased, since" in html
    assert "signatures confirmed since are not in it" in html
    assert BERLIN_NAME not in html  # its file is gone: nothing to download

    # Another packet discarded too: the build stays interrupted after Berlin alone.
    signing.erase(signers.named["seoul"], "withdrawn")
    packet = services.build_mission_now(built, missions["berlin"].pk)
    assert packet is not None
    assert services.build_one(packet.pk) == "build not running"  # not without "alone"
    assert services.build_one(packet.pk, alone=True) == "built"
    built.refresh_from_db()
    assert built.status == PacketBuild.Status.PAUSED
    berlin = built.packets.get(mission__key="cn-e-de")
    assert berlin.status == Packet.Status.DONE and not berlin.stale_reason
    assert "Zimmerfeld" not in list_section(pdf_text(packet_bytes(built, "cn-e-de")))
    for key in ("cn-e-jp", "cn-cg-munich", "cn-e-is"):
        assert built.packets.get(mission__key=key).sha256 == before[key], key
    assert built.packets.get(mission__key="cn-e-kr").status == Packet.Status.PENDING

    seoul = services.build_mission_now(built, missions["seoul"].pk)
    assert seoul is not None
    services.build_one(seoul.pk, alone=True)
    built.refresh_from_db()
    assert built.status == PacketBuild.Status.DONE and built.zip_sha256


def test_a_mission_opened_after_the_build_gets_its_packet_on_request(
    built: PacketBuild, petition: Any, organiser: Any
) -> None:
    busan = make_mission("cn-cg-busan", "consulate_general", "KR", "Busan")
    sign(petition, busan, "Min", "Busanite", city="Busan", country="KR")
    client = client_for(organiser)
    response = client.post(rebuild_url(built, busan))
    assert response.status_code == 302
    assert response["Location"] == reverse("packets:build", args=[built.campaign.slug, built.pk])
    packet = built.packets.get(mission=busan)
    services.build_one(packet.pk, alone=True)
    built.refresh_from_db()
    assert built.status == PacketBuild.Status.DONE and built.total == 6
    assert "Busanite" in list_section(pdf_text(packet_bytes(built, "cn-cg-busan")))


def test_the_organisers_build_page_offers_build_now_and_says_why_a_packet_is_stale(
    built: PacketBuild, signers: Signers, organiser: Any
) -> None:
    signing.erase(signers.named["jonas"], "withdrawn")
    html = (
        client_for(organiser)
        .get(reverse("packets:build", args=[built.campaign.slug, built.pk]))
        .content.decode()
    )
    assert "Build now" in html
    assert "a signer withdrew or was erased" in html
    assert "signatures confirmed since, and the change below, are not in it" in html


def test_in_an_all_signers_build_one_mission_now_brings_the_whole_build_up_to_date(
    petition: Any, missions: Any, signers: Signers, organiser: Any
) -> None:
    build = start(petition, scope="all")
    run_all(build)
    sign(petition, missions["seoul"], "Later", "Seoulite", city="Seoul", country="KR")
    packet = services.build_mission_now(build, missions["berlin"].pk)
    assert packet is not None
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.RUNNING
    assert set(build.packets.values_list("status", flat=True)) == {Packet.Status.PENDING}
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    for key in ("cn-e-de", "cn-e-is"):
        assert "Seoulite" in list_section(pdf_text(packet_bytes(build, key))), key
    html = dashboard(client_for(organiser), build)
    assert f"Latest build #{build.pk}" in html and "packets built" in html
