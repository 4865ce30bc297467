"""Published after-action reports in the public API: only the frozen snapshot, never a draft."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from safepassage.reports import report as reports
from safepassage.reports.tests.test_report import (
    assert_private,
    fresh,
    make_world,
    sign,
)


@pytest.fixture(autouse=True)
def _fresh(settings: Any, tmp_path: Any) -> None:
    fresh(settings, tmp_path)


@pytest.fixture
def world(petition: Any) -> Any:
    return make_world(petition)


def get(path: str) -> Any:
    return Client().get(path)


@pytest.mark.django_db
def test_drafts_are_not_in_the_api(world):
    report = reports.report_for(world.campaign)
    report.save()
    assert get("/api/reports").json()["count"] == 0
    response = get(f"/api/campaigns/{world.campaign.slug}/report")
    assert response.status_code == 404
    assert response.json() == {"detail": "No such published report."}


@pytest.mark.django_db
def test_a_published_report_is_listed_with_its_frozen_data(world):
    report = reports.report_for(world.campaign)
    report.title = "What we did"
    report.save()
    reports.publish(report, world.users["organiser"])
    slug = world.campaign.slug

    listing = get("/api/reports").json()
    assert listing["count"] == 1
    item = listing["items"][0]
    assert item["campaign"] == slug and item["title"] == "What we did"
    assert item["url"].endswith(f"/c/{slug}/report/")
    assert item["pdf_url"].endswith(f"/c/{slug}/report.pdf")
    assert get("/api/reports?campaign=nothing").json()["count"] == 0

    response = get(f"/api/campaigns/{slug}/report")
    assert response.status_code == 200
    data = response.json()
    assert data["totals"]["signatures"] == 7 and data["totals"]["paper"] == 12
    # Four signers in the United States: below the public threshold, so not the figure.
    assert {"country": "US", "count": None, "fewer_than": 5} in data["by_country"]
    missions = {row["mission"]: row for row in data["by_mission"]}
    assert missions["test-emb-us"]["delivery_status"] == "in_person"
    assert missions["test-emb-us"]["responses"][0]["channel"] == "letter"
    assert missions["test-cg-chicago"]["delivery_status"] == "refused"
    assert "test-cg-houston" not in missions  # no signatures, nothing planned
    assert data["totals"]["events"] == 2
    assert [(y["year"], y["current"]) for y in data["years"]] == [(2025, False), (2026, True)]
    assert_private(response.content.decode())

    # Later signatures and draft edits do not reach the API until published again.
    for n in range(40, 43):
        sign(world, n, country="CA", city="Toronto", region="CA-ON")
    report.title = "Changed in the draft"
    report.save()
    again = get(f"/api/campaigns/{slug}/report").json()
    assert again["totals"]["signatures"] == 7 and again["title"] == "What we did"


@pytest.mark.django_db
def test_hidden_sections_are_empty_in_the_api(world):
    report = reports.report_for(world.campaign)
    report.show_missions = False
    report.save()
    reports.publish(report, world.users["organiser"])
    data = get(f"/api/campaigns/{world.campaign.slug}/report").json()
    assert data["sections"]["missions"] is False
    assert data["by_mission"] == []
    assert data["totals"]["refusals"] == 1


def test_the_endpoints_are_in_the_openapi_document(db):
    paths = Client().get("/api/openapi.json").json()["paths"]
    assert "/api/reports" in paths
    assert "/api/campaigns/{slug}/report" in paths
