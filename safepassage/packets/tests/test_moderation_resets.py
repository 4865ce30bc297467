"""Moderation after a build: no built packet keeps what the action took out (or put back)."""

from __future__ import annotations

from typing import Any

import pytest

from safepassage.packets import services
from safepassage.packets.models import Packet, PacketBuild
from safepassage.packets.tests.conftest import Signers, pdf_text, sign
from safepassage.packets.tests.test_build import packet_bytes, run_all, start
from safepassage.signatures import moderation
from safepassage.signatures.tokens import ip_hash

pytestmark = pytest.mark.django_db(transaction=True)


def built(petition: Any) -> tuple[PacketBuild, list[str]]:
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    return build, [*build.packets.values_list("file", flat=True), build.zip_file.name]


def assert_reset(build: PacketBuild, old_files: list[str]) -> None:
    storage = PacketBuild._meta.get_field("zip_file").storage  # type: ignore[attr-defined]
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.PAUSED
    assert build.zip_sha256 == "" and not build.zip_file
    assert set(build.packets.values_list("status", flat=True)) == {Packet.Status.PENDING}
    assert not any(storage.exists(name) for name in old_files)


def rebuilt_berlin(build: PacketBuild) -> str:
    services.resume(build)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    return pdf_text(packet_bytes(build, "cn-e-de"))


def test_withholding_a_name_resets_the_packets_built_before(
    petition: Any, missions: Any, signers: Signers, letter: Any, organiser: Any
) -> None:
    build, old_files = built(petition)
    assert "Zimmerfeld" in pdf_text(packet_bytes(build, "cn-e-de"))

    action = moderation.hide_names(petition, [signers.named["anna"].pk], "asked us", organiser)

    assert_reset(build, old_files)
    after = rebuilt_berlin(build)
    assert "Zimmerfeld" not in after and "Potsdam" not in after
    assert "Albrecht" in after  # the others are still there

    # Reversing the action puts the name back into the packets, again by a reset.
    old_files = [*build.packets.values_list("file", flat=True), build.zip_file.name]
    moderation.reverse(action, organiser)
    assert_reset(build, old_files)
    assert "Zimmerfeld" in rebuilt_berlin(build)


def test_invalidating_resets_the_packets_built_before(
    petition: Any, missions: Any, signers: Signers, letter: Any, organiser: Any
) -> None:
    flood = sign(
        petition, missions["berlin"], "Massen", "Flutwelle", ip_hash=ip_hash("203.0.113.9")
    )
    build, old_files = built(petition)
    assert "Flutwelle" in pdf_text(packet_bytes(build, "cn-e-de"))

    moderation.invalidate(petition, ip_hash="203.0.113.9", reason="one address", user=organiser)

    assert_reset(build, old_files)
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
