"""A cover letter never prints an empty address block, and stays reproducible."""

from __future__ import annotations

from typing import Any

import pytest

from safepassage.directory.models import Mission
from safepassage.letters.models import LetterVersion
from safepassage.packets.tests.conftest import Signers, pdf_text
from safepassage.packets.tests.test_build import packet_bytes, run_all, start

pytestmark = pytest.mark.django_db


def test_a_mission_without_a_postal_address_gets_its_city_and_country(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    LetterVersion.objects.filter(pk=letter.approved_version.pk).update(
        body="To: {{ mission_name }}\n\n{{ mission_address }}\n\nDear Ambassador,"
    )
    Mission.objects.filter(key="cn-e-is").update(postal_address="  \n", postcode="")
    first = start(petition)
    run_all(first)
    reykjavik = pdf_text(packet_bytes(first, "cn-e-is"))
    block = reykjavik.split("To: ")[1].split("Dear Ambassador")[0].split()
    assert block[-2:] == ["Reykjavik", "Iceland"]  # never an empty block
    berlin = pdf_text(packet_bytes(first, "cn-e-de"))
    assert "1 Embassy Road" in berlin.split("Dear Ambassador")[0]
    # Only stored values: the same packets again, byte for byte.
    second = start(petition)
    run_all(second)
    assert packet_bytes(second, "cn-e-is") == packet_bytes(first, "cn-e-is")
