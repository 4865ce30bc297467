"""A signer who withdraws leaves the packet that listed them, and its file; no other."""

from __future__ import annotations

from typing import Any

import pytest

from safepassage.packets.models import Packet, PacketBuild, PacketEntry
from safepassage.packets.tests.conftest import Signers, pdf_text
from safepassage.packets.tests.test_build import packet_bytes, run_all, start
from safepassage.signatures import services as signing

pytestmark = pytest.mark.django_db(transaction=True)


def test_withdrawing_discards_only_the_signers_packet_and_a_resume_leaves_the_name_out(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    before = pdf_text(packet_bytes(build, "cn-e-de"))
    assert "Zimmerfeld" in before
    hashes = dict(build.packets.values_list("mission__key", "sha256"))
    berlin = build.packets.get(mission__key="cn-e-de")
    others = list(build.packets.exclude(pk=berlin.pk).values_list("file", flat=True))
    old_files = [berlin.file.name, build.zip_file.name]
    storage = build.zip_file.storage
    assert all(storage.exists(name) for name in [*old_files, *others])

    signing.erase(signers.named["anna"], "withdrawn")

    build.refresh_from_db()
    berlin.refresh_from_db()
    # The build must be completed again, but only Berlin's packet is set back.
    assert build.status == PacketBuild.Status.PAUSED
    assert build.zip_sha256 == "" and not build.zip_file
    assert berlin.status == Packet.Status.PENDING
    assert berlin.stale_reason == Packet.StaleReason.WITHDRAWN and berlin.stale_since
    assert set(build.packets.exclude(pk=berlin.pk).values_list("status", flat=True)) == {
        Packet.Status.DONE
    }
    assert not build.packets.exclude(pk=berlin.pk).exclude(stale_reason="").exists()
    # The files that held the name are gone from the private storage; the others stay.
    assert not any(storage.exists(name) for name in old_files)
    assert all(storage.exists(name) for name in others)
    assert not PacketEntry.objects.filter(signature_id=signers.named["anna"].pk).exists()

    from safepassage.packets import services

    assert services.resume(build) == 1
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    after = pdf_text(packet_bytes(build, "cn-e-de"))
    assert "Zimmerfeld" not in after
    assert "Albrecht" in after
    rebuilt = dict(build.packets.values_list("mission__key", "sha256"))
    assert rebuilt.pop("cn-e-de") != hashes.pop("cn-e-de")
    assert rebuilt == hashes
    assert not build.packets.exclude(stale_reason="").exists()


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
