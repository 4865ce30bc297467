"""Imported paper names reach their mission's packet, unless count-only (read back from the PDF)."""

from __future__ import annotations

import hashlib

import pytest

from safepassage.exports import importer
from safepassage.exports.rows import FileChoices
from safepassage.packets import services
from safepassage.packets.models import Packet, PacketBuild

# The packet tests' campaign, missions, approved letter and private file storage.
from safepassage.packets.tests.conftest import (  # noqa: F401
    _files,
    letter,
    missions,
    pdf_text,
    petition,
)
from safepassage.signatures.models import Signature

pytestmark = pytest.mark.django_db

MAPPING: dict[str, int | None] = {
    "first_name": 0,
    "last_name": 1,
    "city": 2,
    "region": 3,
    "country": 4,
    "collected_by": 5,
    "sheet": 6,
    "count_only": 7,
}
ROWS = [
    ["Hildegard", "Papierfeld", "Berlin", "Berlin", "DE", "", "S-1", ""],
    ["Zacharias", "Nurgezaehlt", "Berlin", "BE", "Germany", "Kirchengemeinde", "S-1", "yes"],
    ["春子", "紙谷", "東京", "JP-13", "JP", "Tokyo friends", "T-9", "no"],
]


def packet_text(build: PacketBuild, key: str) -> str:
    packet = build.packets.get(mission__key=key)
    assert packet.status == Packet.Status.DONE, packet.error
    with packet.file.open("rb") as handle:
        data = handle.read()
    assert hashlib.sha256(data).hexdigest() == packet.sha256
    return pdf_text(data)


def test_imported_paper_names_appear_in_their_missions_packet(
    request: pytest.FixtureRequest,
) -> None:
    the_petition, user = (request.getfixturevalue(name) for name in ("petition", "organiser"))
    request.getfixturevalue("missions")
    request.getfixturevalue("letter")
    choices = FileChoices(source="paper: vigil lists", collected_by="Berlin partners")
    report = importer.run_import(the_petition, ROWS, MAPPING, choices, user, "en")
    assert report.created == 3 and report.paper == 3 and report.count_only == 1
    assert set(Signature.objects.values_list("collected_by", flat=True)) == {
        "Berlin partners",
        "Kirchengemeinde",
        "Tokyo friends",
    }

    build = services.start_build(the_petition.campaign, the_petition, scope="mission", user=user)
    for packet_id in build.packets.values_list("pk", flat=True):
        services.build_one(packet_id)
    build.refresh_from_db()
    assert build.status == PacketBuild.Status.DONE

    berlin = packet_text(build, "cn-e-de")
    assert "Hildegard" in berlin and "Papierfeld" in berlin
    # Count-only: counted in Berlin's packet, never named in it.
    assert "Nurgezaehlt" not in berlin and "Zacharias" not in berlin
    assert "紙谷" not in berlin
    tokyo = packet_text(build, "cn-e-jp")
    assert "紙谷" in tokyo and "春子" in tokyo
    assert "Papierfeld" not in tokyo
    # Who collected a list and its sheet stay with the organisers: never in a packet.
    for text in (berlin, tokyo):
        for private in ("Berlin partners", "Kirchengemeinde", "Tokyo friends", "S-1", "T-9"):
            assert private not in text
    routed = dict(Signature.objects.values_list("last_name", "route__mission__key"))
    assert routed == {"Papierfeld": "cn-e-de", "Nurgezaehlt": "cn-e-de", "紙谷": "cn-e-jp"}
