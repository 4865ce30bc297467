"""Moderation after a build: no built packet keeps what the action took out (or put back),
and the packets that never printed those signatures keep their bytes."""

from __future__ import annotations

from typing import Any

import pytest

from safepassage.lib.clients import ip_hash
from safepassage.packets import services
from safepassage.packets.models import Packet, PacketBuild
from safepassage.packets.tests.conftest import Signers, pdf_text, sign
from safepassage.packets.tests.test_build import packet_bytes, run_all, start
from safepassage.signatures import moderation

pytestmark = pytest.mark.django_db(transaction=True)


def built(petition: Any) -> tuple[PacketBuild, dict[str, str]]:
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    return build, dict(build.packets.values_list("mission__key", "sha256"))


def assert_discarded(build: PacketBuild, hashes: dict[str, str], key: str = "cn-e-de") -> None:
    """Only ``key``'s packet was discarded (out of date, file gone); the rest kept their bytes."""
    storage = PacketBuild._meta.get_field("zip_file").storage  # type: ignore[attr-defined]
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.PAUSED
    assert build.zip_sha256 == "" and not build.zip_file
    packet = build.packets.get(mission__key=key)
    assert packet.status == Packet.Status.PENDING and not packet.file
    assert packet.stale_reason == Packet.StaleReason.MODERATED
    assert not storage.exists(f"packets/{build.pk}/{key}.pdf")
    others = build.packets.exclude(pk=packet.pk)
    assert set(others.values_list("status", flat=True)) == {Packet.Status.DONE}
    assert not others.exclude(stale_reason="").exists()
    kept = dict(others.values_list("mission__key", "sha256"))
    assert kept == {k: v for k, v in hashes.items() if k != key}
    for other in others:
        assert storage.exists(other.file.name)


def rebuilt_berlin(build: PacketBuild) -> str:
    """Bring the build up to date; Berlin's packet as text (the others keep their bytes)."""
    hashes = dict(
        build.packets.exclude(mission__key="cn-e-de").values_list("mission__key", "sha256")
    )
    assert services.resume(build) == 1
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    assert not build.packets.exclude(stale_reason="").exists()
    kept = build.packets.exclude(mission__key="cn-e-de").values_list("mission__key", "sha256")
    assert dict(kept) == hashes
    return pdf_text(packet_bytes(build, "cn-e-de"))


def test_withholding_a_name_discards_the_packet_that_printed_it(
    petition: Any, missions: Any, signers: Signers, letter: Any, organiser: Any
) -> None:
    build, hashes = built(petition)
    assert "Zimmerfeld" in pdf_text(packet_bytes(build, "cn-e-de"))

    action = moderation.hide_names(petition, [signers.named["anna"].pk], "asked us", organiser)

    assert_discarded(build, hashes)
    after = rebuilt_berlin(build)
    assert "Zimmerfeld" not in after and "Potsdam" not in after
    assert "Albrecht" in after  # the others are still there

    # Reversing the action puts the name back into Berlin's packet, again by discarding it.
    hashes = dict(build.packets.values_list("mission__key", "sha256"))
    moderation.reverse(action, organiser)
    assert_discarded(build, hashes)
    assert "Zimmerfeld" in rebuilt_berlin(build)


def test_invalidating_discards_the_packet_that_counted_it(
    petition: Any, missions: Any, signers: Signers, letter: Any, organiser: Any
) -> None:
    flood = sign(
        petition, missions["berlin"], "Massen", "Flutwelle", ip_hash=ip_hash("203.0.113.9")
    )
    build, hashes = built(petition)
    assert "Flutwelle" in pdf_text(packet_bytes(build, "cn-e-de"))

    moderation.invalidate(petition, ip_hash="203.0.113.9", reason="one address", user=organiser)

    assert_discarded(build, hashes)
    after = rebuilt_berlin(build)
    assert "Flutwelle" not in after and "Zimmerfeld" in after
    flood.refresh_from_db()
    assert flood.review_reason  # held, not counted


def test_an_action_on_signatures_after_the_snapshot_touches_no_build(
    petition: Any, missions: Any, signers: Signers, letter: Any, organiser: Any
) -> None:
    build, _files = built(petition)
    later = sign(petition, missions["berlin"], "Spät", "Unterzeichner")
    moderation.hide_names(petition, [later.pk], "after the build", organiser)
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.DONE
    assert build.zip_sha256
