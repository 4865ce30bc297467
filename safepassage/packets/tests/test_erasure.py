"""A signer who withdraws leaves the packets already built, and their files."""

from __future__ import annotations

from typing import Any

import pytest

from safepassage.packets.models import Packet, PacketBuild
from safepassage.packets.tests.conftest import Signers, pdf_text
from safepassage.packets.tests.test_build import packet_bytes, run_all, start
from safepassage.signatures import services as signing

pytestmark = pytest.mark.django_db(transaction=True)


def test_withdrawing_resets_the_built_packets_and_a_resume_leaves_the_name_out(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    before = pdf_text(packet_bytes(build, "cn-e-de"))
    assert "Zimmerfeld" in before
    old_files = [*build.packets.values_list("file", flat=True), build.zip_file.name]
    storage = build.zip_file.storage
    assert all(storage.exists(name) for name in old_files)

    signing.erase(signers.named["anna"], "withdrawn")

    build.refresh_from_db()
    assert build.status == PacketBuild.Status.PAUSED
    assert build.zip_sha256 == "" and not build.zip_file
    assert set(build.packets.values_list("status", flat=True)) == {Packet.Status.PENDING}
    # The files that held the name are gone from the private storage.
    assert not any(storage.exists(name) for name in old_files)

    from safepassage.packets import services

    services.resume(build)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    after = pdf_text(packet_bytes(build, "cn-e-de"))
    assert "Zimmerfeld" not in after
    assert "Albrecht" in after


def test_erasing_a_signature_after_the_snapshot_touches_no_build(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    from safepassage.packets.tests.conftest import sign

    build = start(petition)
    run_all(build)
    later = sign(petition, missions["berlin"], "Spät", "Unterzeichner")
    signing.erase(later, "withdrawn")
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.DONE
    assert build.zip_sha256


def test_deleting_a_build_deletes_its_files(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    run_all(build)
    names = [*build.packets.values_list("file", flat=True), build.zip_file.name]
    storage = build.zip_file.storage
    assert all(storage.exists(name) for name in names)
    build.delete()
    assert not any(storage.exists(name) for name in names)
