"""The directory data shipped with safepassage (see data/README.md for provenance).

``load`` is the one way in: ``manage.py import_missions --bundled`` and the
admin's "Load the bundled directory" page both call it.
"""

from __future__ import annotations

import csv
from collections import Counter
from functools import cache

from safepassage.directory import transfer, wikidata
from safepassage.directory.models import Mission

PRC_MISSIONS = transfer.DATA_DIR / "prc-missions.csv"
PRC_DISTRICTS = transfer.DATA_DIR / "prc-districts.csv"
PRC, WORLD = "prc", "world"
SOURCES = (PRC, WORLD)


def import_prc() -> list[transfer.ImportReport]:
    """The PRC's embassies, consulates and missions, then their consular districts."""
    missions = transfer.import_file(PRC_MISSIONS, sending_state="CN")
    districts = transfer.import_districts(
        transfer.read_csv(PRC_DISTRICTS.read_text(encoding="utf-8"))
    )
    return [missions, districts]


def import_world(sending_state: str) -> transfer.ImportReport:
    """One state's missions as Wikidata listed them in November 2022."""
    return transfer.import_rows(wikidata.rows(sending_state), sending_state=sending_state)


@cache
def world_states() -> dict[str, int]:
    """{ISO code: number of missions} of the states the bundled world file lists."""
    counts: Counter[str] = Counter()
    with wikidata.WORLD_FILE.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle, delimiter=";"):
            state = wikidata.country_code(record["operator"])
            if state and wikidata.kind_of(record["type"]):
                counts[state] += 1
    return dict(counts)


def source_for(sending_state: str) -> str:
    """The PRC's own curated data (with consular districts) for CN, the world file otherwise."""
    return PRC if sending_state.upper() == "CN" else WORLD


def load(sending_state: str, source: str = "") -> list[transfer.ImportReport]:
    """Load (or refresh) the bundled missions of ``sending_state``; idempotent.

    ``source`` is ``prc`` or ``world``; empty picks ``source_for``. Raises
    ValueError for a state the bundled data does not list.
    """
    state = sending_state.strip().upper()
    source = source or source_for(state)
    if source not in SOURCES:
        raise ValueError(f"unknown bundled source {source!r}: prc or world")
    if source == PRC:
        if state not in ("", "CN"):
            raise ValueError("the bundled PRC data holds the missions of CN only")
        return import_prc()
    if not state:
        raise ValueError("the world directory needs a sending state (e.g. FR)")
    if state not in world_states():
        raise ValueError(f"the bundled world directory lists no missions of {state}")
    return [import_world(state)]


def ensure_directory(sending_state: str) -> list[transfer.ImportReport]:
    """Load the bundled missions of a state once, if the directory has none of them."""
    if Mission.objects.of(sending_state).exists():
        return []
    return load(sending_state)
