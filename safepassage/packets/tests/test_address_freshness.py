"""A packet says where it goes and how fresh that address is (issue 24, item 4).

Read back from the built PDF with pdftotext: a verified, a stale, a never
confirmed and a missing address; judged on the day of action from stored
dates only, so building again gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from typing import Any

import pytest

from safepassage.directory.models import Mission
from safepassage.directory.proposals import Field, MissionFieldVerification
from safepassage.packets.tests.conftest import Signers, pdf_text
from safepassage.packets.tests.test_build import list_section, packet_bytes, run_all, start

pytestmark = pytest.mark.django_db

MISSING = "No address on record — check with the organiser."


def _prepare(missions: dict[str, Mission]) -> None:
    berlin = missions["berlin"]
    # Verified eleven months before the day of action (2026-09-24): fresh on that
    # day, though more than twelve months before today's clock by the end of 2026.
    MissionFieldVerification.objects.create(
        mission=berlin,
        field=Field.POSTAL_ADDRESS,
        value=berlin.postal_address,
        source="seen in person on 2025-10-01",
        verified_at=datetime(2025, 10, 1, 12, tzinfo=UTC),
    )
    Mission.objects.filter(pk=missions["munich"].pk).update(source_date=date(2024, 6, 15))
    Mission.objects.filter(pk=missions["empty"].pk).update(postal_address=" \n", postcode="")


def _first_page(data: bytes) -> str:
    return " ".join(list_section(pdf_text(data)).split())


def test_each_packet_says_how_fresh_its_address_is_and_never_prints_an_empty_one(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    _prepare(missions)
    first = start(petition)
    run_all(first)

    berlin = _first_page(packet_bytes(first, "cn-e-de"))
    assert "Address on record: 1 Embassy Road, Berlin, Germany" in berlin
    assert "Address confirmed 2025-10." in berlin
    munich = _first_page(packet_bytes(first, "cn-cg-munich"))
    assert "Address on record: 1 Embassy Road, Munich, Germany" in munich
    assert "Address last confirmed 2024-06; it may have changed since." in munich
    tokyo = _first_page(packet_bytes(first, "cn-e-jp"))
    assert "Address never confirmed; check it with the organiser." in tokyo
    reykjavik = _first_page(packet_bytes(first, "cn-e-is"))
    assert MISSING in reykjavik
    assert "Address on record" not in reykjavik  # no empty block under a heading
    for key in ("cn-e-de", "cn-cg-munich", "cn-e-jp"):
        assert MISSING not in _first_page(packet_bytes(first, key))

    # The manifest of the ZIP says the same, per mission.
    with first.zip_file.open("rb") as handle:
        manifest = zipfile.ZipFile(io.BytesIO(handle.read())).read("manifest.csv").decode()
    rows = {row["mission_key"]: row for row in csv.DictReader(io.StringIO(manifest))}
    assert (rows["cn-e-de"]["address_state"], rows["cn-e-de"]["address_confirmed"]) == (
        "verified",
        "2025-10",
    )
    assert (rows["cn-cg-munich"]["address_state"], rows["cn-cg-munich"]["address_confirmed"]) == (
        "stale",
        "2024-06",
    )
    assert (rows["cn-e-is"]["address_state"], rows["cn-e-is"]["address_confirmed"]) == (
        "missing",
        "",
    )

    # Only stored values: another build prints every packet byte for byte the same.
    second = start(petition)
    run_all(second)
    for key in ("cn-e-de", "cn-cg-munich", "cn-e-jp", "cn-e-is"):
        assert packet_bytes(second, key) == packet_bytes(first, key), key
    assert second.zip_sha256 == first.zip_sha256


def test_a_newer_confirmation_of_the_same_address_changes_only_that_line(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    _prepare(missions)
    build = start(petition)
    run_all(build)
    munich = missions["munich"]
    MissionFieldVerification.objects.create(
        mission=munich,
        field=Field.POSTAL_ADDRESS,
        value=munich.postal_address,
        source="https://example.org/contact",
        source_date=date(2026, 8, 1),
        verified_at=datetime(2026, 8, 3, 9, tzinfo=UTC),
    )
    again = start(petition)
    run_all(again)
    text = _first_page(packet_bytes(again, "cn-cg-munich"))
    assert "Address confirmed 2026-08." in text and "2024-06" not in text
    assert packet_bytes(again, "cn-e-de") == packet_bytes(build, "cn-e-de")
