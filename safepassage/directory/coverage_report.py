"""The coverage report of the bundled mission data, in Markdown.

``render_markdown()`` turns what ``coverage.coverage()`` counted into the
deterministic report kept in docs/prc-missions-coverage.md: the same files
give the same bytes, so a test can tell when the report is out of date.
"""

from __future__ import annotations

from collections import defaultdict

from safepassage.directory.coverage import KIND_LABELS, TARGET_POSTS, TARGET_SHARE, Coverage, Gap
from safepassage.directory.models import Mission
from safepassage.lib import geo

KINDS = tuple(Mission.Kind.values)

COMMAND = "manage.py directory_coverage -o docs/prc-missions-coverage.md"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _percent(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "n/a"


def _kinds(coverage: Coverage) -> list[str]:
    """Known kinds in their usual order, then any unknown kind found in the data."""
    found = set(coverage.by_kind)
    return [kind for kind in KINDS if kind in found] + sorted(found - set(KINDS))


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return lines


def _totals(coverage: Coverage) -> list[str]:
    kinds = _kinds(coverage)
    lines = [
        "## Totals",
        "",
        f"- Posts: **{coverage.posts}** ({coverage.open} open, {coverage.closed} closed).",
        f"- District rows: {coverage.district_rows}.",
        "",
    ]
    lines += _table(
        ["kind", "posts", "open"],
        [
            [KIND_LABELS.get(k, k), str(coverage.by_kind[k]), str(coverage.open_by_kind.get(k, 0))]
            for k in kinds
        ],
    )
    lines += ["", "Posts (open and closed) by continent of the host country:", ""]
    rows = [
        [name, *(str(counts.get(k, 0)) for k in kinds), str(sum(counts.values()))]
        for name, counts in sorted(coverage.by_continent.items())
    ]
    rows.append(["**all**", *(str(coverage.by_kind[k]) for k in kinds), str(coverage.posts)])
    lines += _table(["continent", *(KIND_LABELS.get(k, k) for k in kinds), "all"], rows)
    return lines


def _completeness(coverage: Coverage) -> list[str]:
    lines = ["## Completeness", "", f"Of all {coverage.posts} rows (open and closed):", ""]
    lines += _table(
        ["field", "with", "%", "without", "%"],
        [
            [
                name,
                str(count),
                _percent(count, coverage.posts),
                str(coverage.posts - count),
                _percent(coverage.posts - count, coverage.posts),
            ]
            for name, count in coverage.fields.items()
        ],
    )
    verdict = "met" if coverage.target_met else "not met"
    lines += [
        "",
        f"target: ≥{TARGET_POSTS} posts, ≥{round(100 * TARGET_SHARE)}% with postal address and "
        f"coordinates → **{verdict}** ({coverage.open} open posts, {coverage.open_with_both} "
        f"of them ({_percent(coverage.open_with_both, coverage.open)}) with both).",
    ]
    return lines


def _districts(coverage: Coverage) -> list[str]:
    lines = [
        "## Consular districts",
        "",
        "Countries with more than one open post that serves places (permanent missions are "
        "not counted). A first-level subdivision is covered when the district of at least one "
        "open post lists it.",
        "",
    ]
    rows = []
    for country in coverage.districts:
        if not country.has_districts:
            covered, complete = "no district rows", "no"
        else:
            covered = f"{country.covered} of {country.subdivisions}"
            complete = "yes" if country.complete else "no"
        rows.append(
            [
                f"{country.country} {geo.country_name(country.country)}",
                str(country.posts),
                str(country.posts_with_districts),
                covered,
                complete,
                str(len(country.shared)),
                str(len(country.consulates_without_district)),
            ]
        )
    lines += _table(
        [
            "country",
            "posts",
            "posts with districts",
            "subdivisions covered",
            "all covered",
            "codes of several posts",
            "consulates without district",
        ],
        rows,
    )
    for country in coverage.districts:
        if not country.has_districts:
            continue
        lines += ["", f"### {country.country} {geo.country_name(country.country)}", ""]
        for shared in country.shared:
            how = "PARTIAL" if shared.partial else "**conflict**"
            lines.append(f"- {shared.code} in several districts ({how}): {', '.join(shared.posts)}")
        if country.partial_alone:
            lines.append(
                "- Marked PARTIAL but in one district only (the rest has no post): "
                + ", ".join(country.partial_alone)
            )
        if country.uncovered:
            lines.append(f"- Not covered by any post: {', '.join(country.uncovered)}")
        if country.other_codes:
            lines.append(
                "- Codes that are not first-level subdivisions here: "
                + ", ".join(country.other_codes)
            )
        if country.consulates_without_district:
            lines.append(
                "- Consulates without any district row: "
                + ", ".join(country.consulates_without_district)
            )
        if lines[-1] == "":
            lines.append("- Every subdivision covered by exactly one post.")
    no_rows = [c.country for c in coverage.districts if not c.has_districts]
    if no_rows:
        lines += ["", f"No district rows yet for: {', '.join(no_rows)}."]
    if coverage.orphan_districts:
        lines += ["", "District rows that name no open post:", ""]
        lines += [f"- {orphan}" for orphan in coverage.orphan_districts]
    return lines


def _flags(coverage: Coverage) -> list[str]:
    lines = [
        "## Known conflicts and doubts",
        "",
        f"Rows whose notes mention conflict, disagree, UNVERIFIED, PARTIAL or inferred "
        f"({len(coverage.flags)}).",
        "",
    ]
    lines += _table(
        ["file", "id", "name", "code", "note"],
        [[f.file, f.mission_id, f.name, f.code, f.note] for f in coverage.flags],
    )
    return lines


def _gaps(coverage: Coverage) -> list[str]:
    count = sum(len(gaps) for gaps in coverage.gaps.values())
    lines = [
        "## Open posts missing an address or coordinates",
        "",
        f"{count} of {coverage.open} open posts; in parentheses what is missing.",
    ]
    for name, gaps in sorted(coverage.gaps.items()):
        lines += ["", f"### {name} ({len(gaps)})", ""]
        by_country: dict[str, list[Gap]] = defaultdict(list)
        for gap in gaps:
            by_country[gap.host_country].append(gap)
        for country, found in sorted(by_country.items()):
            posts = "; ".join(
                f"{gap.label} `{gap.mission_id}` ({', '.join(gap.missing)})" for gap in found
            )
            lines.append(f"- {country}: {posts}")
    return lines


def render_markdown(coverage: Coverage) -> str:
    lines = [
        "# Coverage of the bundled mission directory",
        "",
        f"Generated by `{COMMAND}`; do not edit by hand.",
        "",
        f"Data: `{coverage.missions_file}` and `{coverage.districts_file}`; "
        f"newest source date {coverage.newest_source_date or 'unknown'}.",
        "",
    ]
    for section in (_totals, _completeness, _districts, _flags, _gaps):
        lines += [*section(coverage), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
