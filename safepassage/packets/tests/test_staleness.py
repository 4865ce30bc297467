"""Packets print a frozen world: what changes later marks only the packets it affects.

A build routes new signatures, then snapshots (signature, mission) pairs;
a reroute, a mission closed, a withdrawal or a moderation action marks out
of date only the packets whose content it changes, with the reason, and
building them again takes a fresh snapshot for them alone.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from typing import Any

import pytest
from django.urls import reverse

from personas import make_user, route_of
from safepassage.accounts.models import Role
from safepassage.directory.models import MissionArea, SignatureRoute
from safepassage.directory.routing import route_petition
from safepassage.packets import services, staleness
from safepassage.packets.models import Packet, PacketBuild, PacketEntry
from safepassage.packets.tests.conftest import Signers, pdf_text, sign
from safepassage.packets.tests.test_build import list_section, packet_bytes, run_all, start
from safepassage.packets.tests.test_views import client_for
from safepassage.signatures import moderation
from safepassage.signatures import services as signing
from safepassage.signatures.models import Signature

pytestmark = pytest.mark.django_db(transaction=True)


def hashes(build: PacketBuild) -> dict[str, str]:
    return dict(build.packets.values_list("mission__key", "sha256"))


def stale(build: PacketBuild) -> dict[str, str]:
    """Mission key → reason of every out-of-date packet of the build."""
    return dict(staleness.stale_packets(build).values_list("mission__key", "stale_reason"))


def listed(build: PacketBuild, key: str) -> str:
    return list_section(pdf_text(packet_bytes(build, key)))


def sha256_of_file(packet: Packet) -> str:
    with packet.file.open("rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_a_build_routes_new_signatures_first_and_snapshots_its_pairs(
    petition: Any, missions: Any, signers: Signers
) -> None:
    newcomer = sign(
        petition, None, "Neu", "Ankömmling", city="Berlin", region="DE-BE", placement=""
    )
    build = start(petition)
    assert route_of(newcomer) == (missions["berlin"].pk, "city")
    pairs = set(build.entries.values_list("signature_id", "mission_id"))
    counted = Signature.objects.counted().filter(petition=petition)
    assert pairs == set(counted.values_list("pk", "route__mission_id"))
    assert (newcomer.pk, missions["berlin"].pk) in pairs
    assert all(p.petition_total == counted.count() for p in build.packets.all())
    run_all(build)
    assert "Ankömmling" in listed(build, "cn-e-de")


def test_closing_a_mission_mid_build_keeps_the_snapshot_and_marks_its_packets(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    ids = dict(build.packets.values_list("mission__key", "pk"))
    assert services.build_one(ids["cn-e-kr"]) == "built"

    # Between two packets: Munich closes and its signer is routed to Berlin.
    munich = missions["munich"]
    munich.status, munich.closed = "closed", "2026-09"
    munich.save()
    assert stale(build) == {"cn-cg-munich": Packet.StaleReason.CLOSED}
    route_petition(petition)
    maximiliane = signers.named["munich"]
    assert route_of(maximiliane)[0] == missions["berlin"].pk
    assert stale(build) == {
        "cn-cg-munich": Packet.StaleReason.CLOSED,
        "cn-e-de": Packet.StaleReason.REROUTED,
    }

    # The build goes on and prints its snapshot, not the new routes.
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    assert "Isarberger" in listed(build, "cn-cg-munich")
    assert "Isarberger" not in listed(build, "cn-e-de")
    packet = build.packets.get(mission__key="cn-cg-munich")
    assert packet.stale_since is not None and packet.is_stale

    # Organisers see which packets are out of date, and why.
    organiser = make_user("oskar")
    Role.objects.create(user=organiser, campaign=build.campaign, kind=Role.Kind.ORGANISER)
    client = client_for(organiser)
    html = client.get(reverse("packets:build", args=[build.campaign.slug, build.pk])).content
    page = html.decode()
    assert "Out-of-date packets" in page
    assert "the mission was closed" in page
    assert "signatures were routed to another mission" in page
    assert "Build the out-of-date packets again" in page
    index = client.get(reverse("packets:index", args=[build.campaign.slug])).content.decode()
    assert "<strong>2</strong>" in index

    # Bringing it up to date: Munich is left out, Berlin lists its new signer,
    # and every other packet keeps its bytes.
    before = hashes(build)
    response = client.post(reverse("packets:resume", args=[build.campaign.slug, build.pk]))
    assert response.status_code == 302
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    assert stale(build) == {}
    assert build.total == 4
    dropped = build.packets.get(mission__key="cn-cg-munich")
    assert dropped.status == Packet.Status.DROPPED and not dropped.file
    assert "Isarberger" in listed(build, "cn-e-de")
    after = hashes(build)
    for key in ("cn-e-kr", "cn-e-jp", "cn-e-is"):
        assert after[key] == before[key], key
    with build.zip_file.open("rb") as handle:
        names = zipfile.ZipFile(io.BytesIO(handle.read())).namelist()
    assert not [name for name in names if "Munich" in name]
    assert "2026-09-24 Berlin — Embassy of China in Berlin.pdf" in names


def test_a_reroute_after_a_build_marks_only_the_packets_whose_signers_changed(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    run_all(build)
    before_bytes = hashes(build)
    before = {
        key: set(build.entries.filter(mission__key=key).values_list("signature_id", flat=True))
        for key in before_bytes
    }
    # Munich now serves Berlin too; everything is routed again.
    MissionArea.objects.create(mission=missions["munich"], kind="district", code="DE-BE")
    route_petition(petition, everything=True)

    counted = Signature.objects.counted().filter(petition=petition)
    now = {
        key: set(counted.filter(route__mission__key=key).values_list("pk", flat=True))
        for key in before_bytes
    }
    changed = {key for key in before_bytes if before[key] != now[key]}
    assert "cn-cg-munich" in changed  # Jonas of Berlin went to Munich
    assert {"cn-e-kr", "cn-e-jp", "cn-e-is"}.isdisjoint(changed)
    assert set(stale(build)) == changed
    assert set(stale(build).values()) == {Packet.StaleReason.REROUTED}
    # Marked, not discarded: the files stay until the packets are built again.
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.DONE and build.zip_sha256
    for packet in build.packets.all():
        assert packet.status == Packet.Status.DONE
        assert sha256_of_file(packet) == before_bytes[packet.mission.key]

    assert services.resume(build) == len(changed)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE and stale(build) == {}
    after = hashes(build)
    for key in before_bytes:
        if key in changed:
            assert after[key] != before_bytes[key], key
        else:
            assert after[key] == before_bytes[key], key
    assert "Albrecht" in listed(build, "cn-cg-munich")
    assert "Albrecht" not in listed(build, "cn-e-de")


def test_a_signature_confirmed_after_the_start_waits_for_a_fresh_snapshot(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    late = sign(petition, None, "Spät", "Nachzügler", city="Berlin", region="DE-BE", placement="")
    run_all(build)
    assert "Nachzügler" not in listed(build, "cn-e-de")
    assert staleness.missing_signatures(build) == 1

    # Berlin's packet goes out of date (a signer withdraws): rebuilt, it takes the
    # late signature in, routed first; the other packets keep their bytes.
    before = hashes(build)
    signing.erase(signers.named["jonas"], "withdrawn")
    assert stale(build) == {"cn-e-de": Packet.StaleReason.WITHDRAWN}
    assert services.resume(build) == 1
    run_all(build)
    assert route_of(late)[0] == missions["berlin"].pk
    berlin = listed(build, "cn-e-de")
    assert "Nachzügler" in berlin and "Albrecht" not in berlin
    assert staleness.missing_signatures(build) == 0
    after = hashes(build)
    assert after.pop("cn-e-de") != before.pop("cn-e-de")
    assert after == before
    packet = build.packets.get(mission__key="cn-e-de")
    assert packet.snapshot_at and packet.snapshot_at > build.snapshot_at

    # A new build takes it in everywhere, byte for byte as the rebuilt packet.
    fresh = start(petition)
    run_all(fresh)
    assert hashes(fresh)["cn-e-de"] == packet.sha256


def test_building_stale_packets_again_twice_gives_the_same_bytes(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    first, second = start(petition), start(petition)
    run_all(first)
    run_all(second)
    assert hashes(first) == hashes(second)
    signing.erase(signers.named["anna"], "withdrawn")
    for build in (first, second):
        assert stale(build) == {"cn-e-de": Packet.StaleReason.WITHDRAWN}
        services.resume(build)
        run_all(build)
    assert hashes(first) == hashes(second)
    assert first.zip_sha256 == second.zip_sha256
    assert PacketEntry.objects.filter(build=first).count() == 8


def test_a_moderation_action_in_an_all_signers_build_discards_every_packet(
    petition: Any, missions: Any, signers: Signers, organiser: Any
) -> None:
    build = start(petition, scope="all")
    run_all(build)
    before = hashes(build)
    moderation.hide_names(petition, [signers.named["seoul"].pk], "asked us", organiser)
    assert set(stale(build)) == set(before)
    assert set(build.packets.values_list("status", flat=True)) == {Packet.Status.PENDING}
    services.resume(build)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    assert "지우" not in "".join(listed(build, "cn-e-is").split())


def test_a_packet_whose_content_changed_while_it_was_built_is_not_written(
    petition: Any, missions: Any, signers: Signers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepassage.packets import assemble

    build = start(petition)
    berlin = build.packets.get(mission__key="cn-e-de")
    real = assemble.build_packet
    queued: list[list[int]] = []
    monkeypatch.setattr(services, "enqueue", lambda ids, **options: queued.append(ids))

    def erased_meanwhile(build: Any, mission: Any) -> Any:
        result = real(build, mission)
        signing.erase(signers.named["anna"], "withdrawn")
        return result

    monkeypatch.setattr(assemble, "build_packet", erased_meanwhile)
    assert services.build_one(berlin.pk) == "superseded"
    berlin.refresh_from_db()
    assert berlin.status == Packet.Status.PENDING and not berlin.file
    assert berlin.stale_reason == Packet.StaleReason.WITHDRAWN
    assert not berlin.file.storage.exists(services.packet_path(build, berlin.mission))
    assert queued == [[berlin.pk]]
    monkeypatch.setattr(assemble, "build_packet", real)
    assert services.build_one(berlin.pk) == "built"
    assert "Zimmerfeld" not in listed(build, "cn-e-de")


def test_a_route_changed_behind_the_routings_back_is_caught_when_bringing_up_to_date(
    petition: Any, missions: Any, signers: Signers
) -> None:
    build = start(petition)
    run_all(build)
    before = hashes(build)
    # No routing run, no signal: only the comparison with the snapshot can see it.
    SignatureRoute.objects.filter(pk=signers.named["seoul"].pk).update(mission=missions["tokyo"])
    assert stale(build) == {}
    assert services.resume(build) == 2
    run_all(build)
    after = hashes(build)
    assert {key for key in before if before[key] != after[key]} == {"cn-e-kr", "cn-e-jp"}
    assert "지우" in "".join(listed(build, "cn-e-jp").split())
