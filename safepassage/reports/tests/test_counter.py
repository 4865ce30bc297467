"""The live counter: the worker's count plus what came since, exact after every change."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from safepassage.campaigns.models import Campaign, Petition
from safepassage.directory.tests.test_routing import confirmed
from safepassage.reports.stats import refresh_stats
from safepassage.signatures import counter, moderation, services
from safepassage.signatures.models import CampaignStats, PaperTally, Signature


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def endpoint(client, petition: Petition) -> dict[str, int]:
    response = client.get(reverse("signatures:count", args=[petition.slug]))
    assert response.status_code == 200
    return dict(response.json())


def truth(petition: Petition) -> int:
    return Signature.objects.counted().filter(petition=petition).count()


def test_confirmations_after_the_refresh_count_at_once_without_a_table_count(client, petition):
    for n in range(5):
        confirmed(petition, n)
    refresh_stats(petition.campaign)
    pending = confirmed(petition, 10, status="pending", confirmed_at=None)
    assert endpoint(client, petition)["confirmed"] == 5
    services.confirm(pending)
    with CaptureQueriesContext(connection) as queries:
        assert endpoint(client, petition)["confirmed"] == 6
    counts = [q["sql"] for q in queries.captured_queries if "signatures_signature" in q["sql"]]
    # One count, of the signatures confirmed since the worker's count: never the whole table.
    assert len(counts) == 1 and '"confirmed_at" >=' in counts[0], counts


def test_withdrawal_moderation_and_cleared_flags_change_the_counter_at_once(
    client, petition, django_user_model
):
    organiser = django_user_model.objects.create_user("organiser")
    early = timezone.now() - dt.timedelta(hours=2)
    signatures = [confirmed(petition, n, created_at=early, confirmed_at=early) for n in range(6)]
    flagged = confirmed(petition, 20, confirmed_at=early, review_reason="throttled")
    refresh_stats(petition.campaign)
    assert endpoint(client, petition)["confirmed"] == 6

    services.erase(signatures[0], "withdrawn")
    assert endpoint(client, petition)["confirmed"] == 5 == truth(petition)
    stats = CampaignStats.objects.get(campaign=petition.campaign)
    assert stats.by_petition[str(petition.pk)] == 5  # the refreshed figure itself, not a patch

    window = (early - dt.timedelta(minutes=1), early + dt.timedelta(minutes=1))
    action = moderation.invalidate(
        petition, start=window[0], end=window[1], reason="spam wave", user=organiser
    )
    assert endpoint(client, petition)["confirmed"] == 0 == truth(petition)
    moderation.reverse(action, organiser)
    assert endpoint(client, petition)["confirmed"] == 5 == truth(petition)

    Signature.objects.filter(pk=flagged.pk).update(review_reason="")
    counter.recount(petition.pk)  # what the admin's "clear the review flag" action calls
    assert endpoint(client, petition)["confirmed"] == 6 == truth(petition)


def test_a_random_history_keeps_the_counter_equal_to_the_database(client, petition):
    rng = random.Random(20260924)
    live: list[Signature] = []
    for step in range(120):
        move = rng.choice(["sign", "sign", "confirm", "erase", "refresh"])
        if move == "sign":
            live.append(confirmed(petition, step, status="pending", confirmed_at=None))
        elif move == "confirm" and live:
            services.confirm(rng.choice(live))
        elif move == "erase" and live:
            services.erase(live.pop(rng.randrange(len(live))), "withdrawn")
        elif move == "refresh":
            refresh_stats(petition.campaign)
        assert endpoint(client, petition)["confirmed"] == truth(petition), (step, move)


def test_paper_signatures_are_shown_apart_on_the_counter_and_the_signing_page(client, petition):
    confirmed(petition, 1)
    PaperTally.objects.create(petition=petition, source="paper: vigil", country="US", count=40)
    PaperTally.objects.create(petition=petition, source="paper: vigil", country="KR", count=2)
    counter.forget(petition.pk)
    assert endpoint(client, petition) == {
        "confirmed": 1,
        "paper": 42,
        "goal": petition.signature_goal,
    }
    html = client.get(reverse("signatures:sign", args=[petition.slug])).content.decode()
    assert 'id="paper-count"' in html and "42" in html.split('id="paper-count"', 1)[1][:200]


def test_the_counter_of_a_petition_that_stops_being_public_is_gone(client, petition):
    assert endpoint(client, petition)["confirmed"] == 0
    Campaign.objects.filter(pk=petition.campaign_id).update(status=Campaign.Status.DRAFT)
    petition.campaign.refresh_from_db()
    petition.campaign.save()  # the signal drops the cached slug
    response = client.get(reverse("signatures:count", args=[petition.slug]))
    assert response.status_code == 404
    assert client.get("/p/no-such-petition/count.json").status_code == 404


def test_the_count_since_the_refresh_reads_its_partial_index(petition):
    refresh_stats(petition.campaign)
    until = CampaignStats.objects.get(campaign=petition.campaign).counted_until
    since = Signature.objects.counted().filter(petition=petition, confirmed_at__gte=until)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
    plan = since.explain()
    assert "signature_counted_since_idx" in plan, plan


def test_the_counter_is_answered_before_sessions_locale_and_csrf(client, petition, settings):
    assert (
        settings.MIDDLEWARE.index("safepassage.signatures.middleware.CounterMiddleware")
        == settings.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1
    )
    client.cookies["sessionid"] = "anything"
    client.cookies["django_language"] = "ko"
    url = reverse("signatures:count", args=[petition.slug])
    response = client.get(url)
    assert response.status_code == 200
    assert response.json()["goal"] == petition.signature_goal
    assert not response.cookies  # no session, CSRF or language cookie is set
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs
    assert response["Content-Length"] == str(len(response.content))
    assert "Vary" not in response  # the same answer for every visitor
    assert client.head(url).status_code == 200
    # Other methods take the usual way and meet the view's own rule.
    assert client.post(url).status_code == 405
    assert client.get(url, HTTP_HOST="evil.example").status_code == 400
    missing = client.get("/p/no-such-petition/count.json")
    assert missing.status_code == 404 and missing.json() == {"detail": "No such petition."}
