"""The directory data shipped with safepassage (see data/README.md for provenance)."""

from __future__ import annotations

from safepassage.directory import transfer, wikidata
from safepassage.directory.models import Mission

PRC_MISSIONS = transfer.DATA_DIR / "prc-missions.csv"
PRC_DISTRICTS = transfer.DATA_DIR / "prc-districts.csv"


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


def ensure_directory(sending_state: str) -> list[transfer.ImportReport]:
    """Load the bundled missions of a state once, if the directory has none of them."""
    if Mission.objects.of(sending_state).exists():
        return []
    if sending_state == "CN":
        return import_prc()
    return [import_world(sending_state)]
