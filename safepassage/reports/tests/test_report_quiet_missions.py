"""The report lists missions with signatures or a recorded delivery; the rest is one line."""

from __future__ import annotations

import re

import pytest

from safepassage.deliveries.models import Delivery
from safepassage.directory import transfer
from safepassage.directory.models import Mission
from safepassage.directory.tests.test_transfer import GOOD
from safepassage.lib.pdf import Resources
from safepassage.reports import report as reports
from safepassage.reports import report_pdf
from safepassage.reports.tests.test_report import make_world, public_html, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(petition):
    w = make_world(petition)
    # Five more missions with a delivery planned and nothing else, as after "plan all".
    transfer.import_rows(
        [
            {**GOOD, "id": f"quiet-{n}", "name": f"Quiet mission {n}", "district": ""}
            for n in range(5)
        ]
    )
    for mission in Mission.objects.filter(key__startswith="quiet-"):
        Delivery.objects.create(campaign=w.campaign, mission=mission)
    return w


def test_missions_with_nothing_to_report_are_summed_up_in_one_line(client, world):
    publish(world)
    html = public_html(client, world)
    table = html.split('id="by-mission"', 1)[1].split("</table>", 1)[0]
    assert set(re.findall(r'data-mission="([^"]+)"', table)) == {"test-emb-us", "test-cg-chicago"}
    assert "Quiet mission" not in html
    assert (
        "5 further missions had no signatures and no delivery recorded (5 with a delivery planned)."
        in html
    )


def test_the_pdf_has_the_same_short_table(world):
    report = publish(world)
    html = report_pdf.report_html(report.snapshot, "en", [], Resources())
    assert html.count("data-mission=") == 2
    assert "5 further missions had no signatures" in html
    # The snapshot keeps every mission (the organisers' record).
    keys = {row["key"] for row in report.snapshot["data"]["missions"]}
    assert {f"quiet-{n}" for n in range(5)} <= keys
    presented = reports.present(report.snapshot, "en", photo_ids=[], photo_src=str)
    assert len(presented["missions"]) == 2 and presented["missions_quiet"] == 5
