"""The public campaign home page and the cached statistics it reads."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safepassage.campaigns.models import Campaign, Petition, PetitionText
from safepassage.directory import transfer
from safepassage.directory.models import Mission
from safepassage.directory.routing import route_petition
from safepassage.directory.tests.test_routing import SMALL_DIRECTORY, confirmed
from safepassage.events.models import RSVP, Event
from safepassage.reports import tasks
from safepassage.reports.stats import refresh_all_stats, refresh_stats
from safepassage.signatures.models import CampaignStats, Signature

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture(autouse=True)
def _exact_public_counts(settings: Any) -> None:
    """These tests check the arithmetic of counts with a handful of signers, so every
    figure is shown; hiding small ones is tested in reports/tests/test_small_counts.py."""
    settings.PUBLIC_COUNT_THRESHOLD = 1


@pytest.fixture
def signed(petition: Petition) -> Petition:
    """Signatures of every kind: only the five confirmed, unflagged ones count."""
    day_one = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)
    day_two = dt.datetime(2026, 9, 3, 23, 30, tzinfo=dt.UTC)
    confirmed(petition, 1, first_name="Alice", last_name="Zebulon", confirmed_at=day_one)
    confirmed(petition, 2, confirmed_at=day_one)
    confirmed(petition, 3, city="Seoul", region="KR-11", country="KR", confirmed_at=day_two)
    confirmed(petition, 4, city="Busan", region="KR-26", country="KR", confirmed_at=day_two)
    confirmed(petition, 5, city="Berlin", region="DE-BE", country="DE", confirmed_at=day_two)
    # Not counted: waiting for confirmation, held for review.
    confirmed(petition, 6, country="FR", city="Paris", status="pending", confirmed_at=None)
    confirmed(petition, 7, country="JP", city="Tokyo", review_reason="throttled")
    # Withdrawn: the row is deleted.
    confirmed(petition, 8, country="GB", city="London").delete()
    return petition


def page(client: Any, petition: Petition) -> str:
    response = client.get(reverse("reports:campaign", args=[petition.campaign.slug]))
    assert response.status_code == 200
    return str(response.content.decode())


def table(html: str, table_id: str) -> dict[str, str]:
    """{row heading text: first count cell} of one of the page's tables."""
    body = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r'<th scope="row">(.*?)</th>\s*<td class="num">(.*?)</td>', body, re.S)
    return {re.sub(r"<[^>]+>", "", name).split("\n")[0].strip(): count for name, count in rows}


def test_the_page_shows_the_petition_and_a_sign_link(client, petition):
    html = page(client, petition)
    assert "Let North Korean refugees in China reach safety" in html
    assert "<strong>We respectfully ask" in html  # the Markdown text, rendered
    assert f'href="{petition.get_absolute_url()}"' in html
    assert 'data-count-url="/p/safe-passage-2026/count.json"' in html
    assert re.search(r"js/sign(\.[0-9a-f]+)?\.js", html)
    assert "Demo North Korea Freedom Coalition" in html
    assert 'href="https://example.org/"' in html


def test_the_page_is_in_the_visitors_language(client, petition):
    client.cookies["django_language"] = "ko"
    html = page(client, petition)
    assert "중국 내 탈북 난민에게 안전한 길을" in html


def test_a_closed_petition_has_no_sign_link(client, petition):
    Campaign.objects.filter(pk=petition.campaign_id).update(status=Campaign.Status.CLOSED)
    html = page(client, petition)
    assert f'href="{petition.get_absolute_url()}"' not in html
    assert "This petition is not open for signing." in html


def test_drafts_and_unknown_campaigns_are_404(client, petition):
    Campaign.objects.filter(pk=petition.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(reverse("reports:campaign", args=[petition.campaign.slug])).status_code == 404
    assert client.get(reverse("reports:campaign", args=["no-such-campaign"])).status_code == 404


def test_counts_equal_the_counted_signatures(client, signed):
    html = page(client, signed)
    assert Signature.objects.counted().count() == 5
    counter = re.search(r'<strong id="signature-count"[^>]*>([^<]*)</strong>', html)
    assert counter is not None and counter.group(1) == "5"
    assert 'value="5" id="signature-progress"' in html
    assert table(html, "by-country") == {"South Korea": "2", "United States": "2", "Germany": "1"}
    assert "40.0 %" in html and "20.0 %" in html
    for not_counted in ("France", "Japan", "United Kingdom"):
        assert not_counted not in html.split('id="by-country"')[1].split("</table>")[0]
    stats = CampaignStats.objects.get(campaign=signed.campaign)
    assert stats.total == 5 and stats.countries == 3
    assert stats.per_day == {"2026-09-01": 2, "2026-09-03": 3}
    assert stats.by_petition == {str(signed.pk): 5}


def test_no_signer_name_appears(client, signed):
    html = page(client, signed)
    assert "Alice" not in html and "Zebulon" not in html


def _signature_queries(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if "signatures_signature" in q["sql"]]


def _only_since_the_refresh(sql: str) -> bool:
    """The live counter's one query: signatures confirmed since the worker's count."""
    return '"confirmed_at" >=' in sql and "COUNT(*)" in sql and "GROUP BY" not in sql


def test_the_page_reads_only_the_cached_statistics(client, signed):
    refresh_stats(signed.campaign)
    # More signatures after the refresh are not in the tables until the next one...
    confirmed(signed, 20)
    with CaptureQueriesContext(connection) as queries:
        html = page(client, signed)
    touching = _signature_queries(queries)
    assert len(touching) == 1 and _only_since_the_refresh(touching[0]), touching
    assert table(html, "by-country")["United States"] == "2"
    # ...but the live counter adds the signatures confirmed since the refresh.
    assert re.search(r'id="signature-count"[^>]*>6<', html)


def test_without_statistics_the_page_computes_them_once(client, signed):
    assert not CampaignStats.objects.exists()
    page(client, signed)
    assert CampaignStats.objects.get(campaign=signed.campaign).total == 5
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        page(client, signed)
    assert all(_only_since_the_refresh(sql) for sql in _signature_queries(queries))


def test_the_page_is_served_from_cache_with_few_queries(
    client, signed, django_assert_max_num_queries
):
    page(client, signed)
    with django_assert_max_num_queries(1):  # at most the session; the page's data is cached
        page(client, signed)


@pytest.fixture
def directory(db: None) -> dict[str, int]:
    transfer.import_rows(SMALL_DIRECTORY)
    return {m.key: m.pk for m in Mission.objects.all()}


def test_the_map_is_shaded_for_the_signers_countries(client, signed, directory):
    html = page(client, signed)
    svg = html.split('<figure class="world-map">', 1)[1].split("</svg>", 1)[0] + "</svg>"
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    shaded = {
        path.get("data-code"): path.get("class") or ""
        for path in root.iter(f"{SVG}path")
        if path.get("data-code")
    }
    assert all("wm-c" in shaded[code] for code in ("US", "KR", "DE"))
    assert all("wm-c" not in shaded[code] for code in ("FR", "JP", "GB", "CN"))
    assert shaded["US"] != shaded["DE"]  # 2 and 1 signatures: different shades


def test_the_map_is_cached_until_the_statistics_change(client, signed):
    stats = refresh_stats(signed.campaign)
    key = f"reports:map:{stats.campaign_id}:{stats.refreshed_at.isoformat()}:en"
    page(client, signed)
    assert 'data-code="US"' in cache.get(key)
    newer = refresh_stats(signed.campaign)
    assert newer.refreshed_at != stats.refreshed_at


def test_missions_link_to_the_directory(client, signed, directory):
    route_petition(signed)
    refresh_stats(signed.campaign)
    html = page(client, signed)
    rows = table(html, "by-mission")
    assert sum(int(n) for n in rows.values()) == 5
    chicago = directory["cg-chicago"]
    assert f'href="/missions/CN/#mission-{chicago}"' in html
    stats = CampaignStats.objects.get(campaign=signed.campaign)
    assert stats.missions_reached == len([n for n in stats.by_mission.values() if n])
    assert stats.by_mission[str(chicago)] == 2


def test_the_archive_shows_past_campaigns_with_their_totals(client, signed):
    past_petition = Petition.objects.create(
        campaign=Campaign.objects.create(
            title="Save North Korean Refugees Day",
            slug="snkrd-2025",
            year=2025,
            day_of_action=dt.date(2025, 9, 24),
            target_person="Xi Jinping",
            target_title="President",
            target_government="CN",
            status=Campaign.Status.ARCHIVED,
        ),
        slug="safe-passage-2025",
    )
    PetitionText.objects.create(petition=past_petition, language="en", title="2025", body="x")
    for n in range(100, 103):
        confirmed(past_petition, n)
    other_government = Campaign.objects.create(
        title="Elsewhere",
        slug="elsewhere-2024",
        year=2024,
        day_of_action=dt.date(2024, 1, 1),
        target_person="X",
        target_title="Y",
        target_government="RU",
        status=Campaign.Status.CLOSED,
    )
    assert refresh_all_stats() == 3  # the open campaign, and two without statistics yet
    assert refresh_all_stats() == 1  # later, only the open one
    html = page(client, signed)
    rows = table(html, "archive")
    assert rows == {"2025 · Save North Korean Refugees Day": "3"}
    assert 'href="/c/snkrd-2025/"' in html
    assert other_government.title not in html
    # The past campaign's own page works too, without a sign link.
    past = page(client, past_petition)
    assert "This petition is not open for signing." in past


def test_events_are_listed_with_local_times_and_no_rsvp_names(client, petition):
    zone = "America/New_York"
    start = dt.datetime(2026, 9, 24, 20, tzinfo=ZoneInfo(zone))
    shown = Event.objects.create(
        campaign=petition.campaign,
        kind=Event.Kind.VIGIL,
        title="Candlelight vigil",
        city="Washington",
        country="US",
        latitude=38.9,
        longitude=-77.0,
        time_zone=zone,
        starts_at=start,
    )
    Event.objects.create(
        campaign=petition.campaign,
        kind=Event.Kind.PROTEST,
        title="Secret meeting",
        city="Chicago",
        country="US",
        time_zone="America/Chicago",
        starts_at=start,
        visibility=Event.Visibility.UNLISTED,
    )
    RSVP.objects.create(
        event=shown,
        name="Bartholomew Quill",
        email_hash="e" * 64,
        consent_version="1",
        status=RSVP.Status.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    html = page(client, petition)
    assert "Candlelight vigil" in html
    assert "20:00 EDT (America/New_York)" in html
    assert "Secret meeting" not in html
    assert "Bartholomew" not in html
    assert 'href="/events/save-north-korean-refugees-day-2026/"' in html
    assert html.count('class="wm-point event-vigil"') == 1


def test_stats_refresh_is_idempotent(signed):
    first = refresh_stats(signed.campaign)
    second = refresh_stats(signed.campaign)
    assert CampaignStats.objects.count() == 1
    fields = ("total", "by_country", "by_mission", "by_petition", "per_day", "countries")
    assert [getattr(first, f) for f in fields] == [getattr(second, f) for f in fields]


def test_stats_follow_withdrawals_and_confirmations(signed):
    assert refresh_stats(signed.campaign).total == 5
    Signature.objects.filter(email_hash=f"{1:064d}").delete()
    Signature.objects.filter(email_hash=f"{6:064d}").update(
        status="confirmed", confirmed_at=timezone.now()
    )
    stats = refresh_stats(signed.campaign)
    assert stats.total == 5
    assert stats.by_country == {"KR": 2, "DE": 1, "US": 1, "FR": 1}


def test_the_task_refreshes_one_campaign(signed):
    result = tasks.refresh_campaign_stats.call(signed.campaign_id)
    assert result == {"total": 5, "countries": 3, "missions": 0}
    assert tasks.refresh_campaign_stats.call(999_999) == {"total": 0}


def test_the_home_page_links_to_the_campaign_page(client, petition):
    html = client.get("/").content.decode()
    assert 'href="/c/save-north-korean-refugees-day-2026/"' in html


def test_paper_signatures_are_added_when_the_signatures_app_records_them(client, signed):
    from safepassage.signatures import models as signature_models

    paper_tally = getattr(signature_models, "PaperTally", None)
    if paper_tally is None:
        pytest.skip("the signatures app has no PaperTally model")
    paper_tally.objects.create(petition=signed, source="Stall, 24 Sept", country="KR", count=40)
    paper_tally.objects.create(petition=signed, source="Church", country="US", count=2)
    stats = refresh_stats(signed.campaign)
    assert (stats.total, stats.paper, stats.grand_total) == (5, 42, 47)
    html = page(client, signed)
    assert "and 42 signatures collected on paper" in html


def test_user_text_is_escaped(client, petition):
    from safepassage.campaigns.models import Organisation

    petition.campaign.organisations.add(
        Organisation.objects.create(name="<b>Bold</b> NGO", slug="bold", website="")
    )
    html = page(client, petition)
    assert "&lt;b&gt;Bold&lt;/b&gt; NGO" in html
    assert "<b>Bold</b>" not in html


def test_signatures_over_time_are_charted_by_day(client, signed):
    html = page(client, signed)
    chart = html.split('<figure class="campaign-chart">', 1)[1].split("</svg>", 1)[0] + "</svg>"
    root = ET.fromstring(chart)  # noqa: S314 (our own output)
    bars = [bar.findtext(f"{SVG}title") for bar in root.iter(f"{SVG}rect")]
    assert bars == ["2026-09-01: 2", "2026-09-03: 3"]  # 2 September had none


def test_a_single_day_is_not_charted(client, petition):
    confirmed(petition, 1)
    assert 'class="campaign-chart"' not in page(client, petition)


def test_the_page_shows_one_total_even_while_the_statistics_lag(client, signed):
    """The live counter and the minute's statistics once showed 9 beside "7 counted"."""
    refresh_stats(signed.campaign)  # the statistics count the five
    confirmed(signed, 20, city="Seoul", region="KR-11", country="KR")
    confirmed(signed, 21, city="Seoul", region="KR-11", country="KR")
    cache.clear()
    html = page(client, signed)
    assert re.search(r'id="signature-count"[^>]*>7<', html)  # the live figure
    assert not re.search(r"\b5 counted signatures", html)
    assert "Signatures from 3 countries" in html
