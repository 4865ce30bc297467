"""Accepted corrections go back upstream as a CSV in the bundled file's format (issue 24)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from personas import coordinator_of, make_campaign, make_mission, organiser_of
from safepassage.directory import bundled, corrections, transfer, verification
from safepassage.directory.models import Mission, MissionArea
from safepassage.directory.proposals import Proposal
from safepassage.lib import uploads

pytestmark = pytest.mark.django_db


def _photo() -> uploads.CleanFile:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(out, "JPEG")
    return uploads.clean_image(out.getvalue())


@pytest.fixture
def world(db: None) -> Any:
    w = SimpleNamespace()
    w.campaign = make_campaign()
    w.organiser = organiser_of(w.campaign)
    w.cora = coordinator_of(w.campaign, "cora-the-proposer", "US", "Chicago")
    w.chicago = make_mission(
        "cn-cg-us-chicago",
        "consulate_general",
        "US",
        "Chicago",
        name="Consulate-General of the People's Republic of China in Chicago",
        source="wikidata:Q1 https://example.org/missions",
        source_date=dt.date(2020, 1, 1),
        notes="from the bundled data",
        website="http://chicago.china-consulate.gov.cn/",
    )
    MissionArea.objects.create(mission=w.chicago, kind=MissionArea.Kind.ACCREDITATION, code="CA")
    w.dubai = make_mission("cn-cg-ae-dubai", "consulate_general", "AE", "Dubai")
    w.untouched = make_mission("cn-e-fr", "embassy", "FR", "Paris")
    address = verification.propose(
        user=w.cora,
        campaign=w.campaign,
        mission=w.chicago,
        values={
            "postal_address": "1 East Erie Street\nSuite 500",
            "postcode": "60611",
            "coordinates": "41.8940, -87.6270",
            "phone": "+1 312 555 0199",
        },
        evidence=Proposal.Evidence.URL,
        source_url="https://chicago.china-consulate.gov.cn/eng/contact/",
        source_date=dt.date(2026, 11, 1),
        photo=_photo(),
        comment="Cora saw the new sign herself",
    )
    verification.decide(
        address, w.organiser, {"postal_address", "postcode", "coordinates"}, "no source for it"
    )
    w.partner = verification.propose(
        user=w.organiser,
        campaign=w.campaign,
        mission=w.dubai,
        values={"delivery_hours": "Sun-Thu 9:00-12:00", "phone": "+971 4 395 2208"},
        evidence=Proposal.Evidence.SEEN,
        source_date=dt.date(2026, 11, 20),
    )
    verification.decide(w.partner, w.organiser, {"delivery_hours", "phone"})
    w.photo_only = verification.propose(
        user=w.cora,
        campaign=w.campaign,
        mission=w.chicago,
        values={"email": "chinaconsul_chi_us@mfa.gov.cn"},
        evidence=Proposal.Evidence.PHOTO,
        photo=_photo(),
    )
    verification.decide(w.photo_only, w.organiser, {"email"})
    return w


def _rows(text: str) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in csv.DictReader(io.StringIO(text))}


def test_the_export_has_the_bundled_files_columns() -> None:
    header = bundled.PRC_MISSIONS.read_text(encoding="utf-8").splitlines()[0]
    assert header.split(",") == corrections.BUNDLED_COLUMNS


def test_exported_corrections_reimport_cleanly_into_a_fresh_directory(world: Any) -> None:
    w = world
    text, count = corrections.export_csv("CN")
    assert count == 2 and text.startswith(",".join(corrections.BUNDLED_COLUMNS) + "\r\n")
    rows = _rows(text)
    assert set(rows) == {"cn-cg-us-chicago", "cn-cg-ae-dubai"}  # Paris has no correction
    today = timezone.now().date().isoformat()
    chicago = rows["cn-cg-us-chicago"]
    assert chicago["source_url"] == (
        "wikidata:Q1 https://example.org/missions "
        "https://chicago.china-consulate.gov.cn/eng/contact/"
    )
    assert chicago["source_date"] == today  # the undated photo counts from its verification
    assert chicago["notes"].startswith("from the bundled data; ")
    assert (
        "postal_address: https://chicago.china-consulate.gov.cn/eng/contact/ (2026-11-01); "
        f"verified {today}" in chicago["notes"]
    )
    assert f"email: photo taken in person; verified {today}" in chicago["notes"]
    assert chicago["phone"] == ""  # the rejected value stays out
    dubai = rows["cn-cg-ae-dubai"]
    assert f"phone: seen in person on 2026-11-20; verified {today}" in dubai["notes"]
    assert "opening hours for deliveries: Sun-Thu 9:00-12:00 (seen in person" in dubai["notes"]
    # Nobody's identity, no photo, no proposal: only sources and dates.
    for secret in ("cora", "olga", "proposal", ".jpg", "directory-evidence"):
        assert secret not in text.lower(), secret

    # A fresh directory: nothing in it, then the file through the import.
    Mission.objects.all().delete()
    report = transfer.import_rows(transfer.read_csv(text))
    assert report.rejected == [] and report.created == 2
    back = Mission.objects.get(key="cn-cg-us-chicago")
    assert back.postal_address == "1 East Erie Street\nSuite 500"
    assert back.postcode == "60611"
    assert (back.latitude, back.longitude) == (41.894, -87.627)
    assert back.email == "chinaconsul_chi_us@mfa.gov.cn"
    assert back.website == "http://chicago.china-consulate.gov.cn/"
    assert back.name == w.chicago.name and back.kind == "consulate_general"
    assert back.source_date == timezone.now().date()
    assert "https://chicago.china-consulate.gov.cn/eng/contact/" in back.source
    assert list(back.areas.values_list("kind", "code")) == [("accreditation", "CA")]
    assert Mission.objects.get(key="cn-cg-ae-dubai").phone == "+971 4 395 2208"


def test_importing_the_export_back_changes_nothing_twice(world: Any) -> None:
    text, _count = corrections.export_csv("CN")
    first = transfer.import_rows(transfer.read_csv(text))
    assert first.rejected == [] and first.updated == 2
    again, _count = corrections.export_csv("CN")
    assert again == text  # the notes and sources are not repeated
    assert transfer.import_rows(transfer.read_csv(again)).unchanged == 2


def test_since_a_date_and_values_changed_since(world: Any) -> None:
    w = world
    tomorrow = timezone.now().date() + dt.timedelta(days=1)
    assert corrections.export_csv("CN", tomorrow)[1] == 0
    assert corrections.export_csv("CN", timezone.now().date())[1] == 2
    assert corrections.export_csv("KP")[1] == 0
    # Every accepted value of Dubai changed since in the admin: nothing of it to share.
    Mission.objects.filter(pk=w.dubai.pk).update(phone="+971 4 000 0000", delivery_hours="")
    assert set(_rows(corrections.export_csv("CN")[0])) == {"cn-cg-us-chicago"}


def test_the_command_writes_the_file(world: Any, tmp_path: Any) -> None:
    out = io.StringIO()
    call_command("export_corrections", "--sending-state", "cn", stdout=out)
    assert set(_rows(out.getvalue())) == {"cn-cg-us-chicago", "cn-cg-ae-dubai"}
    target = tmp_path / "corrections.csv"
    call_command("export_corrections", "--since", "2999-01-01", "-o", str(target), stderr=out)
    assert target.read_bytes() == (",".join(corrections.BUNDLED_COLUMNS) + "\r\n").encode()


def test_organisers_download_it_from_their_pages(world: Any, client: Any) -> None:
    w = world
    url = reverse("team:directory_corrections", args=[w.campaign.slug])
    client.force_login(w.organiser)
    for page in ("team:directory_freshness", "team:directory_queue"):
        html = client.get(reverse(page, args=[w.campaign.slug])).content.decode()
        assert f'action="{url}"' in html and 'name="since"' in html
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="corrections-CN.csv"'
    assert set(_rows(response.content.decode())) == {"cn-cg-us-chicago", "cn-cg-ae-dubai"}
    since = client.get(url, {"since": "2999-01-01"})
    assert since["Content-Disposition"] == (
        'attachment; filename="corrections-CN-since-2999-01-01.csv"'
    )
    assert _rows(since.content.decode()) == {}
    bad = client.get(url, {"since": "last year"})
    assert bad.status_code == 302
    client.force_login(w.cora)
    assert client.get(url).status_code == 403
