"""The bundled PRC data files are valid, sourced and consistent, and the coverage report is true.

The files are read afresh in every test: a researcher edits them, and each
failure lists every faulty row at once so that all of them can be fixed in one go.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import URLValidator
from django.urls import reverse

from safepassage.directory import bundled, transfer, validation
from safepassage.directory.coverage import (
    PARTIAL,
    CountryDistricts,
    Flag,
    Gap,
    Shared,
    coverage,
)
from safepassage.directory.coverage_report import render_markdown
from safepassage.directory.models import PARTIAL_DATE, Mission
from safepassage.lib import geo
from safepassage.lib.geo import shapes

ROOT = Path(__file__).resolve().parents[3]
REPORT = ROOT / "docs" / "prc-missions-coverage.md"
CONSULATES = {Mission.Kind.CONSULATE, Mission.Kind.CONSULATE_GENERAL}

Row = dict[str, str]


def _read(path: Path) -> list[tuple[int, Row]]:
    """(line number in the file, row) for every row."""
    rows = transfer.read_csv(path.read_text(encoding="utf-8"))
    return [
        (line, {k: (v or "").strip() for k, v in row.items()}) for line, row in enumerate(rows, 2)
    ]


@pytest.fixture
def missions() -> list[tuple[int, Row]]:
    return _read(bundled.PRC_MISSIONS)


@pytest.fixture
def districts() -> list[tuple[int, Row]]:
    return _read(bundled.PRC_DISTRICTS)


def _is_open(row: Row) -> bool:
    return (row["status"].lower() or "open") == "open"


def _codes(text: str) -> list[str]:
    return [code for code in re.split(r"[|,;\s]+", text.upper()) if code]


def _normalised(city: str) -> str:
    decomposed = unicodedata.normalize("NFKD", city)
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(re.sub(r"[\W_]+", " ", plain.casefold()).split())


def _faults(title: str, faults: list[str]) -> str:
    return f"{len(faults)} {title}:\n" + "\n".join(faults)


# --- Codes and coordinates ------------------------------------------------------------


def test_every_country_code_in_the_missions_file_is_iso_3166_1(missions):
    countries = geo.country_codes()
    faults = []
    for line, row in missions:
        for column in ("host_country", "sending_state"):
            if row[column] not in countries:
                faults.append(f"line {line} {row['id']}: {column} {row[column]!r}")
        for code in _codes(row["accreditation"]):
            if code not in countries:
                faults.append(f"line {line} {row['id']}: accreditation {code!r}")
        for code in _codes(row.get("district", "")):
            if code not in countries and not geo.is_subdivision_code(code):
                faults.append(f"line {line} {row['id']}: district {code!r}")
    assert not faults, _faults("invalid ISO codes in prc-missions.csv", faults)


def test_every_district_code_is_a_subdivision_or_a_country(districts):
    faults = [
        f"line {line} {row['mission_id']}: {row['code']!r}"
        for line, row in districts
        if row["code"] not in geo.country_codes() and not geo.is_subdivision_code(row["code"])
    ]
    assert not faults, _faults("invalid ISO codes in prc-districts.csv", faults)


def test_every_kind_and_status_is_known(missions):
    faults = [
        f"line {line} {row['id']}: kind {row['kind']!r}, status {row['status']!r}"
        for line, row in missions
        if row["kind"] not in Mission.Kind.values or row["status"] not in Mission.Status.values
    ]
    assert not faults, _faults("rows of unknown kind or status", faults)


def test_coordinates_come_in_pairs_and_lie_inside_the_host_country(missions):
    faults = []
    for line, row in missions:
        where = f"line {line} {row['id']} ({row['city']}, {row['host_country']})"
        if bool(row["latitude"]) != bool(row["longitude"]):
            faults.append(f"{where}: latitude and longitude must both be given or both be empty")
            continue
        if not row["latitude"]:
            continue
        try:
            latitude, longitude = float(row["latitude"]), float(row["longitude"])
        except ValueError:
            faults.append(f"{where}: {row['latitude']}, {row['longitude']} are not numbers")
            continue
        if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
            faults.append(f"{where}: {latitude}, {longitude} is not a position on Earth")
        elif shapes.country_contains(row["host_country"], latitude, longitude) is False:
            faults.append(f"{where}: {latitude}, {longitude} is outside the host country")
    assert not faults, _faults("rows with faulty coordinates", faults)


# --- Identity --------------------------------------------------------------------------


def test_no_id_is_used_twice(missions):
    seen: dict[str, int] = {}
    faults = []
    for line, row in missions:
        if row["id"] in seen:
            faults.append(f"line {line}: id {row['id']} repeats line {seen[row['id']]}")
        seen.setdefault(row["id"], line)
    assert not faults, _faults("repeated ids", faults)


def test_no_open_post_is_listed_twice(missions):
    # Permanent missions to different organisations may share a city (Geneva: UN and WTO),
    # so for them the name, which names the organisation, is part of the identity.
    seen: dict[tuple[str, ...], str] = {}
    faults = []
    for line, row in missions:
        if not _is_open(row):
            continue
        key: tuple[str, ...] = (row["kind"], row["host_country"], _normalised(row["city"]))
        if row["kind"] == Mission.Kind.PERMANENT_MISSION:
            key += (_normalised(row["name"]),)
        if key in seen:
            faults.append(f"line {line} {row['id']} is the same post as {seen[key]}: {key}")
        seen.setdefault(key, f"line {line} {row['id']}")
    assert not faults, _faults("duplicate open posts", faults)


# --- Sources ---------------------------------------------------------------------------

_WIKIDATA = re.compile(r"^wikidata:Q[1-9]\d*$")
_URL_LIKE = re.compile(r"://|^www\.|^https?:|^wikidata:", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _source_faults(where: str, row: Row) -> list[str]:
    faults = []
    if not row["source_url"]:
        faults.append(f"{where}: source_url is empty")
    for token in row["source_url"].split():
        if not _URL_LIKE.search(token) or _WIKIDATA.match(token):
            continue
        try:
            URLValidator(schemes=["http", "https"])(token)
        except ValidationError:
            faults.append(f"{where}: {token!r} is neither an http(s) URL nor wikidata:Q…")
    try:
        if not _DATE.match(row["source_date"]):
            raise ValueError
        date.fromisoformat(row["source_date"])
    except ValueError:
        faults.append(f"{where}: source_date {row['source_date']!r} is not a date (YYYY-MM-DD)")
    return faults


def test_every_mission_row_is_sourced(missions):
    faults = [f for line, row in missions for f in _source_faults(f"line {line} {row['id']}", row)]
    assert not faults, _faults("source faults in prc-missions.csv", faults)


def test_every_district_row_is_sourced(districts):
    faults = [
        fault
        for line, row in districts
        for fault in _source_faults(f"line {line} {row['mission_id']} {row['code']}", row)
    ]
    assert not faults, _faults("source faults in prc-districts.csv", faults)


# --- Consular districts ----------------------------------------------------------------


def test_every_district_row_belongs_to_an_open_post_and_is_listed_once(missions, districts):
    posts = {row["id"]: row for _, row in missions}
    seen: dict[tuple[str, str], int] = {}
    faults = []
    for line, row in districts:
        where = f"line {line} {row['mission_id']} {row['code']}"
        post = posts.get(row["mission_id"])
        if post is None:
            faults.append(f"{where}: no post has this id")
        elif not _is_open(post):
            faults.append(f"{where}: the post is {post['status']}")
        pair = (row["mission_id"], row["code"])
        if pair in seen:
            faults.append(f"{where}: repeats line {seen[pair]}")
        seen.setdefault(pair, line)
    assert not faults, _faults("district rows without an open post", faults)


def _districts_by_country(
    missions: list[tuple[int, Row]], districts: list[tuple[int, Row]]
) -> dict[str, tuple[list[Row], dict[str, list[Row]]]]:
    """For each country where an open post has districts: its open posts that serve places
    and, per post id, its district rows."""
    rows_by_post: dict[str, list[Row]] = defaultdict(list)
    for _, row in districts:
        rows_by_post[row["mission_id"]].append(row)
    posts_by_country: dict[str, list[Row]] = defaultdict(list)
    for _, row in missions:
        if _is_open(row) and row["kind"] != Mission.Kind.PERMANENT_MISSION:
            posts_by_country[row["host_country"]].append(row)
    return {
        country: (posts, {post["id"]: rows_by_post[post["id"]] for post in posts})
        for country, posts in sorted(posts_by_country.items())
        if any(rows_by_post[post["id"]] for post in posts)
    }


def test_every_consulate_in_a_country_with_districts_has_a_district(missions, districts):
    faults = [
        f"{post['id']} ({post['city']}, {country})"
        for country, (posts, rows) in _districts_by_country(missions, districts).items()
        for post in posts
        if post["kind"] in CONSULATES and not rows[post["id"]]
    ]
    assert not faults, _faults("consulates without a district", faults)


def test_every_subdivision_is_served_by_exactly_one_post_unless_split(missions, districts):
    """Exactly one open post per first-level subdivision; a subdivision split between posts
    (every row for it marked PARTIAL) needs at least two."""
    faults = []
    for country, (_, rows) in _districts_by_country(missions, districts).items():
        for code, name in geo.subdivisions(country):
            claims = [
                (key, row) for key, found in rows.items() for row in found if row["code"] == code
            ]
            keys = sorted({key for key, _ in claims})
            partial = bool(claims) and all(PARTIAL.search(row["notes"]) for _, row in claims)
            if not keys:
                faults.append(f"{code} ({name}): in no district")
            elif partial and len(keys) < 2:
                faults.append(f"{code} ({name}): marked PARTIAL, but only {keys[0]} serves it")
            elif not partial and len(keys) > 1:
                faults.append(
                    f"{code} ({name}): in the districts of {', '.join(keys)}, "
                    "not every row marked PARTIAL"
                )
    assert not faults, _faults("subdivisions not served by exactly one post", faults)


# --- Facts -------------------------------------------------------------------------------


# Scripts a name in each language must be written in (beyond spaces, digits and
# punctuation): a Latin-script name in the Korean column is an untranslated row.
_SCRIPT_OF = {
    "ko": ("HANGUL",),
    "ja": ("CJK", "KATAKANA", "HIRAGANA"),
    "zh-hans": ("CJK",),
    "zh-hant": ("CJK",),
}


def test_every_post_is_named_in_every_language(missions):
    """Each of the nine other languages names every post, in its own script, once."""
    faults = []
    seen: dict[tuple[str, str], int] = {}
    for line, row in missions:
        for column, language in validation.NAME_COLUMNS.items():
            name = row.get(column, "")
            if not name:
                faults.append(f"line {line} {row['id']}: no {column}")
                continue
            if name == row["name"]:
                faults.append(f"line {line} {row['id']}: {column} is the English name")
            scripts = _SCRIPT_OF.get(language)
            if scripts and not any(
                any(word in unicodedata.name(ch, "") for word in scripts) for ch in name
            ):
                faults.append(f"line {line} {row['id']}: {column} {name!r} is not in its script")
            if (language, name) in seen:
                first = seen[language, name]
                faults.append(f"line {line} {row['id']}: {column} repeats line {first}")
            seen[language, name] = line
    assert not faults, _faults("faults in the names in other languages", faults)


def test_the_bundled_names_reach_a_reader_in_each_language(db, client):
    """Loading the bundled directory stores every name; the list shows each reader theirs."""
    bundled.load("CN")
    osaka = Mission.objects.get(key="Q53479024")
    names = {n.language: n.name for n in osaka.names.all()}
    assert set(names) == set(validation.NAME_COLUMNS.values())
    assert names["ja"] == "中華人民共和国駐大阪総領事館"
    assert names["zh-hans"] == "中华人民共和国驻大阪总领事馆"
    for language in ("ko", "zh-hant", "de", "pt"):
        page = client.get(reverse("directory:missions", args=["CN"]), {"lang": language})
        assert names[language] in page.content.decode(), language


def test_the_houston_consulate_general_is_closed_with_a_closing_date(missions):
    [houston] = [
        row
        for _, row in missions
        if row["host_country"] == "US"
        and _normalised(row["city"]) == "houston"
        and row["kind"] == Mission.Kind.CONSULATE_GENERAL
    ]
    assert houston["status"] == Mission.Status.CLOSED
    assert houston["closed"] and PARTIAL_DATE.match(houston["closed"]), houston["closed"]


# --- The coverage report -----------------------------------------------------------------


def test_the_committed_coverage_report_is_the_output_of_the_command():
    out = io.StringIO()
    call_command("directory_coverage", stdout=out)
    assert out.getvalue().startswith("# ")
    assert REPORT.read_text(encoding="utf-8") == out.getvalue(), (
        "docs/prc-missions-coverage.md is out of date; run "
        "`manage.py directory_coverage -o docs/prc-missions-coverage.md`"
    )


# The import format without "district", as in the bundled file (districts have their own file).
MISSION_COLUMNS = [column for column in transfer.COLUMNS if column != "district"]
SOURCE = {"source_url": "https://example.org/list", "source_date": "2026-01-01"}


def _write(path: Path, columns: list[str], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, columns, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _post(key: str, kind: str, host: str, city: str, **extra: str) -> dict[str, str]:
    return {
        "id": key,
        "name": f"{kind} in {city}",
        "kind": kind,
        "sending_state": "CN",
        "host_country": host,
        "city": city,
        "status": "open",
        **SOURCE,
        **extra,
    }


def test_coverage_counts_a_small_directory(tmp_path):
    berlin = {"postal_address": "Märkisches Ufer 54", "latitude": "52.51", "longitude": "13.41"}
    missions = _write(
        tmp_path / "missions.csv",
        MISSION_COLUMNS,
        [
            _post("e-de", "embassy", "DE", "Berlin", **berlin, email="a@example.org"),
            _post(
                "cg-hh",
                "consulate_general",
                "DE",
                "Hamburg",
                latitude="53.55",
                longitude="9.99",
                notes="opening date INFERRED from a news item",
            ),
            _post("cg-mu", "consulate_general", "DE", "Munich"),
            _post(
                "cg-hou",
                "consulate_general",
                "US",
                "Houston",
                postal_address="3417 Montrose",
                status="closed",
                closed="2020-07-24",
            ),
            _post(
                "e-us",
                "embassy",
                "US",
                "Washington",
                postal_address="3505 International Pl",
                latitude="38.94",
                longitude="-77.07",
                phone="+1 202",
                website="https://x.org",
            ),
            _post("pm-un", "permanent_mission", "US", "New York", postal_address="350 E 35th St"),
        ],
    )
    districts = _write(
        tmp_path / "districts.csv",
        ["mission_id", "code", "source_url", "source_date", "notes"],
        [
            {"mission_id": "e-de", "code": "DE-BE", **SOURCE},
            {"mission_id": "e-de", "code": "DE-BB", **SOURCE},
            {"mission_id": "cg-hh", "code": "DE-HH", **SOURCE, "source_date": "2026-02-01"},
            {"mission_id": "cg-hh", "code": "DE-BB", **SOURCE},
            {"mission_id": "cg-hh", "code": "DE-NI", **SOURCE, "notes": "PARTIAL: the north"},
            {"mission_id": "cg-hou", "code": "US-TX", **SOURCE},
            {"mission_id": "gone", "code": "DE-BY", **SOURCE},
        ],
    )

    found = coverage(missions, districts)

    assert (found.posts, found.open, found.closed, found.district_rows) == (6, 5, 1, 7)
    assert found.by_kind == {"embassy": 2, "consulate_general": 3, "permanent_mission": 1}
    assert found.open_by_kind == {"embassy": 2, "consulate_general": 2, "permanent_mission": 1}
    assert found.by_continent == {
        "Europe": {"embassy": 1, "consulate_general": 2},
        "North America": {"embassy": 1, "consulate_general": 1, "permanent_mission": 1},
    }
    assert found.fields == {
        "postal address": 4,
        "coordinates": 3,
        "both": 2,
        "e-mail": 1,
        "phone": 1,
        "website": 1,
    }
    assert found.open_with_both == 2
    assert not found.target_met
    assert found.newest_source_date == "2026-02-01"
    assert found.orphan_districts == (
        "cg-hou US-TX: the post is closed",
        "gone DE-BY: no post with this id",
    )
    # The US has one open post that serves places: no districts to check there.
    germany = CountryDistricts(
        country="DE",
        posts=3,
        posts_with_districts=2,
        subdivisions=16,
        covered=4,
        shared=(Shared("DE-BB", ("cg-hh (Hamburg)", "e-de (Berlin)"), partial=False),),
        partial_alone=("DE-NI",),
        uncovered=(
            *("DE-BW", "DE-BY", "DE-HB", "DE-HE", "DE-MV", "DE-NW"),
            *("DE-RP", "DE-SH", "DE-SL", "DE-SN", "DE-ST", "DE-TH"),
        ),
        other_codes=(),
        consulates_without_district=("cg-mu (Munich)",),
    )
    assert found.districts == (germany,)
    hamburg = "consulate_general in Hamburg"
    assert found.flags == (
        Flag("missions", "cg-hh", hamburg, "", "opening date INFERRED from a news item"),
        Flag("districts", "cg-hh", hamburg, "DE-NI", "PARTIAL: the north"),
    )
    assert found.gaps == {
        "Europe": (
            Gap("cg-hh", "DE", "Hamburg consulate-general", ("address",)),
            Gap("cg-mu", "DE", "Munich consulate-general", ("address", "coordinates")),
        ),
        "North America": (Gap("pm-un", "US", "New York permanent mission", ("coordinates",)),),
    }

    report = render_markdown(found)
    assert "target: ≥270 posts, ≥90% with postal address and coordinates → **not met**" in report
    assert "- DE-BB in several districts (**conflict**): cg-hh (Hamburg), e-de (Berlin)" in report
    out = tmp_path / "report.md"
    call_command("directory_coverage", "--missions", missions, "--districts", districts, "-o", out)
    assert out.read_text(encoding="utf-8") == report
