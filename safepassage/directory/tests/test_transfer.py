"""Import and export of the directory: validation, idempotence, round trips, audit."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command

from safepassage.directory import bundled, export, transfer
from safepassage.directory.models import Mission, MissionArea

pytestmark = pytest.mark.django_db

GOOD = {
    "id": "cn-cg-de-munich",
    "name": "Consulate-General of the People's Republic of China in Munich",
    "kind": "consulate_general",
    "sending_state": "CN",
    "host_country": "DE",
    "city": "Munich",
    "postal_address": "Romanstraße 107\n80639 München",
    "postcode": "80639",
    "latitude": "48.1594",
    "longitude": "11.5298",
    "email": "chinaconsul_mu_de@mfa.gov.cn",
    "phone": "+49 89 17301612",
    "website": "https://munich.china-consulate.gov.cn/",
    "status": "open",
    "district": "DE-BY|DE-BW",
    "source_url": "https://munich.china-consulate.gov.cn/",
    "source_date": "2026-11-01",
}


def row(**changes: str) -> dict[str, str]:
    return {**GOOD, **changes}


def test_a_valid_row_is_imported_with_its_districts():
    report = transfer.import_rows([row()])
    assert (report.created, report.rejected) == (1, [])
    mission = Mission.objects.get(key="cn-cg-de-munich")
    assert mission.kind == Mission.Kind.CONSULATE_GENERAL
    assert mission.postal_address == "Romanstraße 107\n80639 München"
    assert sorted(mission.areas.values_list("code", flat=True)) == ["DE-BW", "DE-BY"]
    added = MissionArea.history.filter(history_type="+").values_list("code", flat=True)
    assert sorted(added) == ["DE-BW", "DE-BY"]  # the audit history has each new area


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"id": ""}, "id is empty"),
        ({"id": "has space"}, "may hold only"),
        ({"kind": "palace"}, "kind 'palace'"),
        ({"host_country": "XX"}, "host country 'XX'"),
        ({"sending_state": "China"}, "sending state 'CHINA'"),
        ({"latitude": "north"}, "latitude 'north' is not a number"),
        ({"latitude": "91"}, "latitude 91.0 is out of range"),
        ({"longitude": ""}, "both be given"),
        ({"latitude": "48.8566", "longitude": "2.3522"}, "not inside Germany"),  # Paris
        ({"latitude": "0", "longitude": "-30"}, "not inside Germany"),  # the Atlantic
        ({"email": "consulate@"}, "is not a valid address"),
        ({"email": "two@@example.org"}, "is not a valid address"),
        ({"website": "javascript:alert(1)"}, "is not an http(s) URL"),
        ({"status": "maybe"}, "status 'maybe'"),
        ({"closed": "2020-07-24"}, "must have status closed"),
        ({"opened": "24/07/2020"}, "is not a date"),
        ({"opened": "2020-13"}, "is not a date"),
        ({"district": "DE-XX"}, "district code 'DE-XX'"),
        ({"accreditation": "Narnia"}, "accreditation code 'NARNIA'"),
        ({"source_url": ""}, "every row needs its source"),
        ({"name": ""}, "name is empty"),
        ({"city": "x" * 121}, "city is longer than 120"),
    ],
)
def test_malformed_rows_are_rejected_with_the_reason(changes, reason):
    report = transfer.import_rows([row(id="cn-ok-first"), row(**changes)])
    assert report.created == 1  # the good row still goes in
    [rejected] = report.rejected
    assert rejected.line == 3
    assert any(reason in r for r in rejected.reasons), rejected.reasons
    assert Mission.objects.count() == 1


def test_several_faults_of_one_row_are_all_reported():
    report = transfer.import_rows([row(kind="", host_country="ZZ", email="x")])
    [rejected] = report.rejected
    assert len(rejected.reasons) == 3


def test_a_repeated_id_is_rejected():
    report = transfer.import_rows([row(), row(name="Again")])
    assert report.created == 1
    assert "repeats line 2" in report.rejected[0].reasons[0]


def test_reimport_is_idempotent_and_leaves_no_history():
    transfer.import_rows([row()])
    mission = Mission.objects.get()
    pk, history = mission.pk, mission.history.count()
    report = transfer.import_rows([row()])
    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert Mission.objects.get().pk == pk  # stable ids
    assert Mission.objects.get().history.count() == history
    assert MissionArea.objects.count() == 2


def test_a_changed_row_updates_in_place_and_is_audited():
    transfer.import_rows([row()])
    report = transfer.import_rows([row(phone="+49 89 1", district="DE-BY")])
    assert report.updated == 1 and report.areas_removed == 1
    mission = Mission.objects.get()
    assert mission.phone == "+49 89 1"
    assert [h.phone for h in mission.history.order_by("history_date")] == [
        "+49 89 17301612",
        "+49 89 1",
    ]
    assert MissionArea.history.filter(history_type="-", code="DE-BW").exists()


def test_legacy_columns_and_a_default_sending_state_are_accepted():
    legacy = {
        "id": "Q1",
        "name": "Embassy in Berlin",
        "kind": "embassy",
        "host_country_iso2": "DE",
        "address": "Märkisches Ufer 54",
        "source": "wikidata:Q1",
    }
    report = transfer.import_rows([legacy], sending_state="CN")
    assert report.created == 1, list(report.lines())
    assert Mission.objects.get().postal_address == "Märkisches Ufer 54"


def test_csv_and_json_exports_round_trip(tmp_path):
    transfer.import_rows([row(), row(id="cn-e-de-berlin", kind="embassy", city="Berlin")])
    before = [export.mission_record(m) for m in export.export_queryset("CN")]
    csv_file, json_file = tmp_path / "m.csv", tmp_path / "m.json"
    call_command("export_missions", "--format", "csv", "-o", str(csv_file))
    call_command("export_missions", "--format", "json", "-o", str(json_file))
    assert json.loads(json_file.read_text())["missions"] == before
    Mission.objects.all().delete()
    for path in (csv_file, json_file):
        report = transfer.import_file(path)
        assert report.rejected == [], list(report.lines())
        assert [export.mission_record(m) for m in export.export_queryset("CN")] == before


def test_export_neutralises_formulas_but_keeps_phone_numbers():
    transfer.import_rows([row(notes='=HYPERLINK("http://evil")', fax="-1 234")])
    out = io.StringIO()
    export.export_csv(export.export_queryset(), out)
    text = out.getvalue()
    assert "'=HYPERLINK" in text
    assert ",+49 89 17301612," in text and ",-1 234," in text
    # and the apostrophe is taken off again on import
    Mission.objects.all().delete()
    transfer.import_rows(transfer.read_csv(text))
    assert Mission.objects.get().notes.startswith("=HYPERLINK")


def test_districts_file_replaces_each_missions_districts():
    transfer.import_rows([row()])
    rows = [
        {
            "mission_id": "cn-cg-de-munich",
            "code": "DE-BY",
            "source_url": "https://a",
            "source_date": "",
        },
        {
            "mission_id": "cn-cg-de-munich",
            "code": "DE-XX",
            "source_url": "https://a",
            "source_date": "",
        },
        {"mission_id": "nobody", "code": "DE-BE", "source_url": "https://a", "source_date": ""},
        {"mission_id": "cn-cg-de-munich", "code": "DE-HE", "source_url": "", "source_date": ""},
    ]
    report = transfer.import_districts(rows)
    reasons = [r for rejected in report.rejected for r in rejected.reasons]
    assert any("DE-XX" in r for r in reasons)
    assert any("no mission with this id" in r for r in reasons)
    assert any("every row needs its source" in r for r in reasons)
    assert list(Mission.objects.get().areas.values_list("code", flat=True)) == ["DE-BY"]


def test_conflicting_districts_are_reported():
    transfer.import_rows([row(), row(id="cn-e-de-berlin", kind="embassy", district="DE-BY")])
    assert any("DE-BY" in c for c in transfer.district_conflicts())


def test_the_command_reports_rejected_rows_and_strict_fails(tmp_path):
    path = tmp_path / "bad.csv"
    out = io.StringIO()
    export.export_csv([], out)
    path.write_text(out.getvalue() + "Q9,Name,embassy,CN,DE,,,,,,,,,,open,,,,,wikidata:Q9,,\n")
    out = io.StringIO()
    call_command("import_missions", str(path), stdout=out)
    assert "1 created" in out.getvalue()
    path.write_text(path.read_text() + "Q10,Name,castle,CN,DE,,,,,,,,,,open,,,,,x,,\n")
    with pytest.raises(Exception, match="1 rows rejected"):
        call_command("import_missions", str(path), "--strict", stdout=io.StringIO())


def test_the_bundled_prc_directory_imports_cleanly():
    missions, districts = bundled.import_prc()
    assert missions.rejected == [], list(missions.lines())
    assert districts.rejected == [], list(districts.lines())
    assert Mission.objects.of("CN").open().count() >= 140
    assert not Mission.objects.filter(key="Q111086811").exists()  # Madrid "consulate" dropped
    again = bundled.import_prc()
    assert again[0].created == again[0].updated == 0


def test_any_state_can_be_loaded_from_the_bundled_world_file():
    report = bundled.import_world("FR")
    assert report.created > 100
    assert Mission.objects.of("FR").filter(host_country="DE", kind="embassy").exists()
