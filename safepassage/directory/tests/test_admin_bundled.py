"""Any government from the admin: the bundled directory of a state, and any valid file."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from safepassage.accounts.models import Role
from safepassage.campaigns.models import Campaign
from safepassage.directory import bundled, wikidata
from safepassage.directory.models import Mission
from safepassage.directory.tests.test_transfer import GOOD

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-1")
    client.force_login(user)
    return user


def test_the_bundled_world_file_uploaded_with_a_state_imports_it_and_skips_the_others(
    client, superuser
):
    data = wikidata.WORLD_FILE.read_bytes()
    upload = SimpleUploadedFile(wikidata.WORLD_FILE.name, data)
    response = client.post(
        reverse("admin:directory_mission_import"), {"missions": upload, "sending_state": "ru"}
    )
    html = response.content.decode()
    russia = Mission.objects.of("RU").count()
    [report] = response.context["reports"]
    # A few rows of the 2022 data are faulty (no host country); they are the only rejections.
    assert len(report.rejected) < 5
    assert russia + len(report.rejected) == bundled.world_states()["RU"] > 100
    assert Mission.objects.exclude(sending_state="RU").count() == 0
    assert f"{russia} created" in html
    assert "rows of " in html and "other sending states skipped" in html
    assert report.skipped > 9000
    # Every mission's history says who loaded it.
    mission = Mission.objects.of("RU").first()
    assert mission is not None
    assert mission.history.get().history_user == superuser


def test_the_world_file_without_a_state_asks_for_one(client, superuser):
    upload = SimpleUploadedFile("world.csv", wikidata.WORLD_FILE.read_bytes()[:20_000])
    response = client.post(reverse("admin:directory_mission_import"), {"missions": upload})
    assert "choose the sending state" in response.content.decode()
    assert not Mission.objects.exists()


def _csv(rows: list[dict[str, str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(GOOD), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def test_rejected_rows_are_reported_with_field_and_fix_and_download_as_csv(client, superuser):
    rows = [
        GOOD,
        {**GOOD, "id": "cn-bad", "latitude": "north"},
        {**GOOD, "id": "ru-elsewhere", "sending_state": "RU"},
    ]
    upload = SimpleUploadedFile("missions.csv", _csv(rows, ";"))
    response = client.post(
        reverse("admin:directory_mission_import"), {"missions": upload, "sending_state": "CN"}
    )
    html = response.content.decode()
    assert "1 created" in html and "1 rejected" in html
    assert "1 row of 1 other sending state skipped" in html
    assert "Write decimal degrees with a dot" in html
    url = response.context["errors_url"]
    download = client.get(url)
    assert download["Content-Type"].startswith("text/csv")
    [problem] = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert problem["line"] == "3" and problem["id"] == "cn-bad"
    assert problem["field"] == "latitude"
    assert "not a number" in problem["problem"] and problem["how_to_fix"]
    # Someone else cannot fetch it.
    other = get_user_model().objects.create_superuser("eve", "eve@example.org", "pw-eve-1")
    client.force_login(other)
    assert client.get(url).status_code == 404


def test_a_superuser_loads_the_bundled_directory_of_a_state(client, superuser):
    url = reverse("admin:directory_mission_bundled")
    page = client.get(url + "?state=RU")
    assert page.status_code == 200
    assert 'value="RU" selected' in page.content.decode()
    response = client.post(url, {"sending_state": "RU"})
    assert response.status_code == 200
    count = Mission.objects.of("RU").count()
    assert count > 100
    assert f"{count} created" in response.content.decode()
    again = client.post(url, {"sending_state": "RU"})
    assert f"0 created, 0 updated, {count} unchanged" in again.content.decode()


def test_an_organiser_loads_only_their_campaigns_government_once(client, petition):
    user = get_user_model().objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    campaign = petition.campaign
    Campaign.objects.filter(pk=campaign.pk).update(target_government="RU")
    Role.objects.create(user=user, campaign=campaign, kind=Role.Kind.ORGANISER)
    client.force_login(user)
    url = reverse("admin:directory_mission_bundled")
    assert client.post(url, {"sending_state": "FR"}).status_code == 200
    assert not Mission.objects.exists()  # FR is not offered to them
    client.post(url, {"sending_state": "RU"})
    assert Mission.objects.of("RU").exists()
    page = client.get(url).content.decode()
    assert 'value="RU"' not in page  # loaded: refreshing it is for superusers


def test_the_public_and_staff_without_campaigns_cannot_load(client, db):
    url = reverse("admin:directory_mission_bundled")
    assert "/login/" in client.get(url)["Location"]
    client.post(url, {"sending_state": "RU"})
    assert not Mission.objects.exists()


def test_the_command_and_the_admin_call_the_same_service(monkeypatch):
    calls: list[str] = []

    def import_world(state: str) -> Any:
        calls.append(state)
        return _empty()

    monkeypatch.setattr(bundled, "import_world", import_world)
    call_command("import_missions", bundled="world", sending_state="ru", stdout=io.StringIO())
    assert calls == ["RU"]


def _empty():
    from safepassage.directory.importreport import ImportReport

    return ImportReport()


def test_loading_needs_the_forms_csrf_token(superuser):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    response = client.post(reverse("admin:directory_mission_bundled"), {"sending_state": "RU"})
    assert response.status_code == 403
    assert not Mission.objects.exists()
