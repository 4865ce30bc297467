"""Organisers keep the directory in the admin: edits are audited, files import and export."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conftest import run_tasks
from safepassage.directory import transfer
from safepassage.directory.models import Mission, SignatureRoute
from safepassage.directory.tests.test_routing import SMALL_DIRECTORY, confirmed
from safepassage.directory.tests.test_transfer import GOOD
from safepassage.signatures.models import Signature


@pytest.fixture
def organiser(client, db):
    user = get_user_model().objects.create_superuser("alice", "alice@example.org", "pw-alice-1")
    client.force_login(user)
    return user


def test_an_edit_in_the_admin_is_audited_with_who_made_it(client, organiser):
    transfer.import_rows([GOOD])
    mission = Mission.objects.get()
    url = reverse("admin:directory_mission_change", args=[mission.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update(
        {
            "phone": "+49 89 999",
            "areas-TOTAL_FORMS": "1",
            "areas-INITIAL_FORMS": "0",
            "areas-MIN_NUM_FORMS": "0",
            "areas-MAX_NUM_FORMS": "1000",
            "areas-0-kind": "district",
            "areas-0-code": "DE-HE",
            "areas-0-source": "https://example.org/districts",
            "names-TOTAL_FORMS": "1",
            "names-INITIAL_FORMS": "0",
            "names-0-language": "ja",
            "names-0-name": "中華人民共和国駐ミュンヘン総領事館",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    latest = Mission.objects.get().history.latest("history_date")
    assert latest.phone == "+49 89 999"
    assert latest.history_user == organiser
    area = Mission.objects.get().areas.get(code="DE-HE")
    assert area.history.get().history_user == organiser
    history = client.get(reverse("admin:directory_mission_history", args=[mission.pk]))
    assert history.status_code == 200 and "alice" in history.content.decode()
    assert Mission.objects.get().names.get(language="ja").name.endswith("総領事館")


def test_a_bad_code_is_refused_in_the_admin(client, organiser):
    transfer.import_rows([GOOD])
    mission = Mission.objects.get()
    url = reverse("admin:directory_mission_change", args=[mission.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"host_country": "XX", "areas-TOTAL_FORMS": "0", "areas-INITIAL_FORMS": "0"})
    data.update({"names-TOTAL_FORMS": "0", "names-INITIAL_FORMS": "0"})
    response = client.post(url, data)
    assert response.status_code == 200
    assert "not an ISO 3166-1 country code" in response.content.decode()


def test_import_page_reports_rejected_rows(client, organiser):
    good = ",".join(str(GOOD.get(c, "")) for c in transfer.COLUMNS if c != "postal_address")
    header = ",".join(c for c in transfer.COLUMNS if c != "postal_address")
    bad = good.replace("cn-cg-de-munich", "cn-bad").replace("consulate_general", "castle")
    upload = SimpleUploadedFile("m.csv", f"{header}\n{good}\n{bad}\n".encode())
    response = client.post(reverse("admin:directory_mission_import"), {"missions": upload})
    html = response.content.decode()
    assert "1 created" in html
    assert "cn-bad" in html and "kind &#x27;castle&#x27;" in html
    assert Mission.objects.filter(key="cn-cg-de-munich").exists()


def test_import_page_reads_json_and_refuses_garbage(client, organiser):
    document = {"missions": [GOOD]}
    upload = SimpleUploadedFile("m.json", json.dumps(document).encode())
    client.post(reverse("admin:directory_mission_import"), {"missions": upload})
    assert Mission.objects.count() == 1
    garbage = SimpleUploadedFile("m.json", b"{not json")
    response = client.post(reverse("admin:directory_mission_import"), {"missions": garbage})
    assert "could not be read" in response.content.decode()


def test_export_actions(client, organiser):
    transfer.import_rows([GOOD])
    changelist = reverse("admin:directory_mission_changelist")
    pks = [str(pk) for pk in Mission.objects.values_list("pk", flat=True)]
    response = client.post(changelist, {"action": "export_csv", "_selected_action": pks})
    assert response["Content-Type"].startswith("text/csv")
    assert "cn-cg-de-munich" in response.content.decode()
    response = client.post(changelist, {"action": "export_json", "_selected_action": pks})
    assert json.loads(response.content)["missions"][0]["district"] == ["DE-BW", "DE-BY"]


@pytest.mark.django_db(transaction=True)
def test_routing_report_and_rerouting_from_the_admin(client, organiser, petition):
    transfer.import_rows(SMALL_DIRECTORY)
    confirmed(petition, 1, city="Qwzxv", region="US-IL")
    response = client.get(reverse("admin:directory_mission_routing"))
    html = response.content.decode()
    assert "not routed yet" in html
    response = client.post(
        reverse("admin:directory_mission_routing"), {"campaign": petition.campaign.pk}
    )
    assert response.status_code == 302
    run_tasks()
    route = SignatureRoute.objects.select_related("mission").get(signature=Signature.objects.get())
    assert route.placement == "region"
    assert route.mission is not None and route.mission.key == "cg-chicago"
    html = client.get(reverse("admin:directory_mission_routing")).content.decode()
    assert "Qwzxv" in html  # listed among the cities that could not be placed


def test_the_public_cannot_reach_the_admin_pages(client, db):
    for name in ("admin:directory_mission_import", "admin:directory_mission_routing"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]
