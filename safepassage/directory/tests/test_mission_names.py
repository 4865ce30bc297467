"""A mission is named in the reader's language where the directory has that name.

Names in other languages travel in the directory's files as optional
``name_<language>`` columns (an export brings them back on import) and are
edited in the admin; the public list shows the name of the page's language and
still finds the mission by its English name.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from safepassage.directory import export, transfer
from safepassage.directory.models import Mission, MissionName
from safepassage.directory.tests.test_transfer import GOOD

pytestmark = pytest.mark.django_db

JAPANESE = "中華人民共和国駐ミュンヘン総領事館"
KOREAN = "주뮌헨 중화인민공화국 총영사관"


def listing(client, language: str, query: str = "") -> str:
    params = {"lang": language, **({"q": query} if query else {})}
    response = client.get(reverse("directory:missions", args=["CN"]), params)
    return str(response.content.decode())


def test_names_in_other_languages_are_imported_and_shown_to_their_readers(client):
    report = transfer.import_rows([{**GOOD, "name_ja": JAPANESE, "name_ko": KOREAN}])
    assert report.created == 1 and not report.rejected
    mission = Mission.objects.get()
    assert {n.language: n.name for n in mission.names.all()} == {"ja": JAPANESE, "ko": KOREAN}

    assert JAPANESE in listing(client, "ja")
    assert KOREAN in listing(client, "ko")
    english = listing(client, "en")
    assert GOOD["name"].replace("'", "&#x27;") in english and JAPANESE not in english
    # A Japanese reader still finds it by the name on the building's plaque, and by theirs.
    assert JAPANESE in listing(client, "ja", "Munich")
    assert JAPANESE in listing(client, "ja", "ミュンヘン")


def test_a_new_name_reaches_the_cached_list_at_once(client):
    transfer.import_rows([GOOD])
    assert JAPANESE not in listing(client, "ja")  # the whole list is cached now
    MissionName.objects.create(mission=Mission.objects.get(), language="ja", name=JAPANESE)
    assert JAPANESE in listing(client, "ja")


def test_a_name_changed_by_a_new_import_reaches_the_cached_list_at_once(client):
    transfer.import_rows([{**GOOD, "name_ja": JAPANESE}])
    assert JAPANESE in listing(client, "ja")  # the whole list is cached now
    stamped = Mission.objects.get().updated_at
    transfer.import_rows([{**GOOD, "name_ja": JAPANESE}])
    assert Mission.objects.get().updated_at == stamped  # the same file changes nothing
    transfer.import_rows([{**GOOD, "name_ja": "在ミュンヘン中国総領事館"}])
    page = listing(client, "ja")
    assert "在ミュンヘン中国総領事館" in page and JAPANESE not in page


def test_an_empty_column_removes_a_name_and_a_missing_column_keeps_it():
    transfer.import_rows([{**GOOD, "name_ja": JAPANESE, "name_ko": KOREAN}])
    transfer.import_rows([{**GOOD, "name_ja": ""}])
    assert list(MissionName.objects.values_list("language", flat=True)) == ["ko"]


def test_the_export_carries_the_names_and_imports_again(db):
    transfer.import_rows([{**GOOD, "name_ja": JAPANESE}])
    out = io.StringIO()
    export.export_csv(export.export_queryset("CN"), out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert row["name_ja"] == JAPANESE and row["name_ko"] == ""
    Mission.objects.all().delete()
    report = transfer.import_text("missions.csv", out.getvalue(), sending_state="CN")
    assert report.created == 1, report
    assert Mission.objects.get().names.get().name == JAPANESE


def test_a_copy_named_in_another_language_is_read_only():
    transfer.import_rows([{**GOOD, "name_ja": JAPANESE}])
    shown = Mission.objects.get().in_language("ja")
    assert shown.name == JAPANESE
    with pytest.raises(TypeError):
        shown.save()
    assert Mission.objects.get().name == GOOD["name"]
