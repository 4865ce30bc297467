"""Packets hold signers' names: their files, the ZIP and its members are the owner's only.

And the organisers who build them see exact per-mission figures, where the
public sees "fewer than 5" (reports/tests/test_small_counts.py).
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse

from safepassage.core.tests.test_data_at_rest import violations
from safepassage.packets import services
from safepassage.packets.models import PacketBuild
from safepassage.packets.tests.conftest import Signers
from safepassage.packets.tests.test_build import run_all, start
from safepassage.packets.tests.test_views import client_for
from safepassage.reports.stats import refresh_stats


def test_built_packets_and_their_zip_are_private(
    petition: Any, missions: Any, signers: Signers, letter: Any, tmp_path: Path
) -> None:
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    private = tmp_path / "private"
    files = [path for path in private.rglob("*") if path.is_file()]
    assert any(path.suffix == ".pdf" for path in files) and any(
        path.suffix == ".zip" for path in files
    )
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert violations(private) == []
    # Unpacked on an organiser's computer, each signer list stays theirs only.
    with build.zip_file.open("rb") as handle:
        archive = zipfile.ZipFile(io.BytesIO(handle.read()))
    for info in archive.infolist():
        assert stat.S_IMODE(info.external_attr >> 16) == 0o600, info.filename


def test_organisers_see_the_exact_count_the_public_does_not(
    petition: Any, missions: Any, signers: Signers, letter: Any, organiser: Any
) -> None:
    build = services.start_build(petition.campaign, petition, scope="mission", user=organiser)
    run_all(build)
    berlin = build.packets.get(mission=missions["berlin"])
    assert berlin.total_count == 4
    page = client_for(organiser).get(
        reverse("packets:build", args=[petition.campaign.slug, build.pk])
    )
    row = re.search(r"<td>Berlin</td>.*?</tr>", page.content.decode(), re.S)
    assert row is not None and "<td>4</td>" in row.group(0)

    refresh_stats(petition.campaign)
    public = Client().get(f"/api/campaigns/{petition.campaign.slug}/counts").json()
    by_mission = {row["mission"]: row for row in public["by_mission"]}
    assert by_mission["cn-e-de"] == {
        "mission": "cn-e-de",
        "name": missions["berlin"].name,
        "count": None,
        "fewer_than": 5,
    }
