"""The public API: counts that match the database, no personal data, events, the directory."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.db.models import Count
from django.test import Client

from safepassage.accounts.tests.world import (
    NAMES_A,
    NAMES_B,
    RSVP_EMAILS,
    SECRET_ADDRESS,
    UNCONFIRMED,
    World,
)
from safepassage.api.tests.helpers import get, make_signature
from safepassage.campaigns.models import Campaign, Petition
from safepassage.core.demo_texts import PETITION
from safepassage.directory.models import Mission, MissionArea
from safepassage.events.models import Event
from safepassage.signatures.models import Signature

SIGNER_NAMES = ("Zebulon", "Quillfeather", "Ottoline", "Marchbanks")
SIGNER_EMAILS = ("zebulon.quill@example.org", "ottoline.march@example.net")


@pytest.fixture(autouse=True)
def _exact_public_counts(settings: Any) -> None:
    """These tests check the arithmetic of counts with a handful of signers, so every
    figure is shown; hiding small ones is tested in reports/tests/test_small_counts.py."""
    settings.PUBLIC_COUNT_THRESHOLD = 1


@pytest.fixture
def signed(world: World) -> dict[str, Any]:
    """Signatures of every kind: counted, pending, held for review, on two petitions."""
    petition = world.petition
    second = Petition.objects.create(campaign=world.campaign, slug="second-petition")
    first, last = SIGNER_NAMES[:2]
    rows: list[tuple[str, dict[str, Any]]] = [
        # Counted: 3 in the US (2 routed to the embassy, 1 to the consulate), 2 in Korea (unrouted).
        ("us-1", {"mission": world.embassy, "email": SIGNER_EMAILS[0]}),
        ("us-2", {"mission": world.embassy}),
        ("us-3", {"mission": world.consulate, "city": "Chicago", "region": "US-IL"}),
        ("kr-1", {"country": "KR", "city": "Seoul", "region": "KR-11"}),
        ("kr-2", {"country": "KR", "city": "Busan", "region": "KR-26", "publish_name": False}),
        # Not counted: pending, and held for review.
        ("us-pending", {"status": Signature.Status.PENDING}),
        ("kr-pending", {"status": Signature.Status.PENDING, "country": "KR", "region": "KR-11"}),
        ("de-held", {"country": "DE", "region": "DE-BE", "review_reason": "look-alike domain"}),
        (
            "us-held",
            {"mission": world.embassy, "review_reason": "many signatures from one address"},
        ),
    ]
    for key, fields in rows:
        make_signature(petition, key, first_name=first, last_name=last, **fields)
    # The second petition: one counted, one pending.
    make_signature(second, "second-1", first_name=SIGNER_NAMES[2], last_name=SIGNER_NAMES[3])
    make_signature(
        second,
        "second-2",
        status=Signature.Status.PENDING,
        email=SIGNER_EMAILS[1],
        first_name=SIGNER_NAMES[2],
    )
    return {"petition": petition, "second": second}


def db_counts(petitions: list[Petition]) -> tuple[int, dict[str, int], dict[str | None, int]]:
    """Straight from the database, without directory.tallies."""
    counted = Signature.objects.filter(petition__in=petitions, status="confirmed", review_reason="")
    by_country = dict(counted.values_list("country").annotate(n=Count("pk")).order_by())
    by_mission = dict(counted.values_list("route__mission__key").annotate(n=Count("pk")).order_by())
    return counted.count(), by_country, by_mission


def api_counts(data: dict[str, Any]) -> tuple[int, dict[str, int], dict[str | None, int]]:
    return (
        data["total"],
        {row["country"]: row["count"] for row in data["by_country"]},
        {row["mission"]: row["count"] for row in data["by_mission"]},
    )


def test_counts_equal_the_databases_counted_signatures(world, signed):
    petition, second = signed["petition"], signed["second"]
    total, by_country, by_mission = db_counts([petition])
    assert (total, by_country, by_mission) == (
        5,
        {"US": 3, "KR": 2},
        {
            "test-emb-us": 2,
            "test-cg-chicago": 1,
            None: 2,
        },
    )

    detail = get(f"/api/petitions/{petition.slug}").json()
    assert detail["confirmed_count"] == total
    assert detail["signature_goal"] == petition.signature_goal
    assert api_counts(detail["counts"]) == (total, by_country, by_mission)
    assert detail["counts"]["petition"] == petition.slug
    names = {row["mission"]: row["name"] for row in detail["counts"]["by_mission"]}
    assert names["test-emb-us"] == world.embassy.name and names[None] is None

    listed = get(f"/api/petitions?campaign={world.campaign.slug}").json()
    assert {p["slug"]: p["confirmed_count"] for p in listed["items"]} == {
        petition.slug: total,
        second.slug: 1,
    }

    campaign = get(f"/api/campaigns/{world.campaign.slug}/counts").json()
    assert campaign["petition"] is None
    assert api_counts(campaign) == db_counts([petition, second])
    assert campaign["total"] == 6


def test_counts_follow_confirmation_and_review(world, signed):
    petition = signed["petition"]
    pending = Signature.objects.get(petition=petition, country="KR", status="pending")
    pending.status = Signature.Status.CONFIRMED
    pending.confirmed_at = dt.datetime.now(dt.UTC)
    pending.save()
    Signature.objects.filter(petition=petition, review_reason="look-alike domain").update(
        review_reason=""
    )
    data = get(f"/api/petitions/{petition.slug}").json()
    assert api_counts(data["counts"]) == db_counts([petition])
    assert data["confirmed_count"] == 7


def test_counts_come_from_the_workers_statistics_and_the_total_is_live(world, signed):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from safepassage.reports.stats import refresh_stats

    petition = signed["petition"]
    refresh_stats(world.campaign)
    pending = Signature.objects.get(petition=petition, country="KR", status="pending")
    pending.status = Signature.Status.CONFIRMED
    pending.confirmed_at = dt.datetime.now(dt.UTC)
    pending.save()
    with CaptureQueriesContext(connection) as queries:
        data = get(f"/api/petitions/{petition.slug}").json()
    grouped = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"]]
    assert grouped == []  # no request groups the signature table
    assert data["confirmed_count"] == 6  # live
    assert data["counts"]["total"] == 5 and data["counts"]["as_of"]  # as of the worker's count
    refresh_stats(world.campaign)
    data = get(f"/api/petitions/{petition.slug}").json()
    assert api_counts(data["counts"]) == db_counts([petition])
    assert data["counts"]["total"] == data["confirmed_count"] == 6


def public_operations() -> list[tuple[str, str, set[str]]]:
    """(method, path, query parameters) of every operation that needs no token."""
    schema = Client().get("/api/openapi.json").json()
    return [
        (method, path, {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"})
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if not operation.get("security")
    ]


def fill(path: str, world: World, petition: Petition, event: Event) -> str:
    values = {
        "/api/campaigns/{slug}": world.campaign.slug,
        "/api/petitions/{slug}": petition.slug,
        "/api/events/{uuid}": str(event.uuid),
        "/api/missions/{key}": world.consulate.key,
    }
    for prefix, value in values.items():
        name = prefix.rsplit("{", 1)[1].rstrip("}")
        if path.startswith(prefix):
            path = path.replace("{" + name + "}", value)
    assert "{" not in path, path
    return path


def test_no_personal_data_in_any_public_response(world, signed):
    """Every public operation of the OpenAPI document, with every event, on every page."""
    secrets = [
        *SIGNER_NAMES,
        *SIGNER_EMAILS,
        *NAMES_A,
        *NAMES_B,
        *UNCONFIRMED,
        *RSVP_EMAILS,
        SECRET_ADDRESS,
        "Near the consulate",  # the venue of the event whose address is for RSVPs only
        "@example.",  # no address of any signer or RSVP, whatever it is
    ]
    # A published after-action report, so its operation answers (a draft is a 404).
    from safepassage.reports import report as after_action

    published = after_action.report_for(world.campaign)
    published.save()
    after_action.publish(published, None)
    operations = public_operations()
    assert {path for _, path, _ in operations} >= {
        "/api/reports",
        "/api/campaigns/{slug}/report",
        "/api/campaigns",
        "/api/campaigns/{slug}",
        "/api/campaigns/{slug}/counts",
        "/api/campaigns/{slug}/events",
        "/api/petitions",
        "/api/petitions/{slug}",
        "/api/events/{uuid}",
        "/api/missions",
        "/api/missions/{key}",
    }
    assert {method for method, _, _ in operations} == {"get"}
    seen = 0
    for event in (world.event_a, world.event_b):
        for _, template, parameters in operations:
            path = fill(template, world, signed["petition"], event)
            queries = [""]
            queries += ["?lang=ko"] if "lang" in parameters else []
            queries += ["?limit=500"] if "limit" in parameters else []
            for query in queries:
                response = get(path + query)
                assert response.status_code == 200, (path + query, response.content)
                body = response.content.decode()
                for secret in secrets:
                    assert secret not in body, (path, secret)
                assert '"email"' not in body or "/missions" in path, path
                seen += 1
    assert seen >= 2 * len(operations)


def test_a_missions_email_is_public(world):
    world.consulate.email = "chicago@mission.example"
    world.consulate.save()
    data = get(f"/api/missions/{world.consulate.key}").json()
    assert data["email"] == "chicago@mission.example"


def test_events_respect_address_visibility_and_give_local_times(world):
    a, b = world.event_a, world.event_b
    a.latitude, a.longitude = 38.9436, -77.0677
    a.save()
    b.latitude, b.longitude = 41.8882, -87.6358  # the secret meeting point itself
    b.save()
    data = get(f"/api/campaigns/{world.campaign.slug}/events").json()
    assert data["count"] == 2
    events = {e["uuid"]: e for e in data["items"]}

    public = events[str(a.uuid)]
    assert public["address_public"] is True
    assert public["venue"] == "In front of the embassy"
    assert public["address"] == "3505 International Place NW"
    assert public["position"] == {"latitude": 38.9436, "longitude": -77.0677, "precision": "venue"}
    assert public["mission"] == world.embassy.key
    assert public["time_zone"] == "America/New_York"
    assert public["local_start"] == f"{world.campaign.year}-09-24T20:00:00-04:00"
    assert public["starts_at"].startswith(f"{world.campaign.year}-09-25T00:00:00")
    assert public["people_coming"] == 2
    assert public["host"]["slug"] == world.partner_org.slug

    hidden = events[str(b.uuid)]
    assert hidden["address_public"] is False
    assert hidden["venue"] is None and hidden["address"] is None and hidden["mission"] is None
    assert hidden["local_start"] == f"{world.campaign.year}-09-24T11:00:00-05:00"
    assert hidden["people_coming"] == 3
    position = hidden["position"]
    if position is not None:  # the gazetteer's centre of Chicago, never the venue
        assert position["precision"] == "city"
        assert (position["latitude"], position["longitude"]) != (41.8882, -87.6358)
    assert get(f"/api/events/{b.uuid}").json() == hidden


def test_only_listed_events_of_public_campaigns(world):
    unlisted = Event.objects.create(
        campaign=world.campaign,
        kind=Event.Kind.OTHER,
        title="Unlisted meeting",
        city="Washington",
        country="US",
        starts_at=world.event_a.starts_at,
        time_zone="America/New_York",
        visibility=Event.Visibility.UNLISTED,
    )
    listed = get(f"/api/campaigns/{world.campaign.slug}/events").json()
    assert str(unlisted.uuid) not in {e["uuid"] for e in listed["items"]}
    assert get(f"/api/events/{unlisted.uuid}").status_code == 404

    world.campaign.status = Campaign.Status.DRAFT
    world.campaign.save()
    assert get(f"/api/events/{world.event_a.uuid}").status_code == 404
    assert get(f"/api/campaigns/{world.campaign.slug}/events").status_code == 404
    assert get(f"/api/campaigns/{world.campaign.slug}").status_code == 404
    assert get(f"/api/petitions/{world.petition.slug}").status_code == 404
    slugs = {c["slug"] for c in get("/api/campaigns").json()["items"]}
    assert world.campaign.slug not in slugs and world.other_campaign.slug in slugs


def test_event_filters(world):
    url = f"/api/campaigns/{world.campaign.slug}/events"
    a, b = str(world.event_a.uuid), str(world.event_b.uuid)

    def uuids(query: str) -> set[str]:
        response = get(url + query)
        assert response.status_code == 200, response.content
        return {e["uuid"] for e in response.json()["items"]}

    year = world.campaign.year
    assert uuids("?city=WASHINGTON") == {a}
    assert uuids("?kind=protest") == {b}
    assert uuids("?country=us") == {a, b}
    assert uuids("?country=KR") == set()
    assert uuids(f"?date={year}-09-24") == {a, b}  # 20:00 in Washington is the 25th in UTC
    assert uuids(f"?date={year}-09-25") == set()
    assert uuids("?status=planned&city=chicago") == {b}
    assert get(url + "?kind=picnic").status_code == 422
    assert get(url + "?country=USA").status_code == 422


def test_campaign_and_petition_fields(world):
    data = get(f"/api/campaigns/{world.campaign.slug}").json()
    assert data["year"] == world.campaign.year
    assert data["day_of_action"] == f"{world.campaign.year}-09-24"
    assert data["target"]["government"] == "CN"
    assert data["status"] == "open"
    assert data["petitions"] == [world.petition.slug]
    assert {o["slug"] for o in data["organisations"]} >= {world.partner_org.slug}

    petition = get(f"/api/petitions/{world.petition.slug}?lang=ko").json()
    assert petition["language"] == "ko" and petition["title"].startswith("중국")
    assert petition["languages"] == sorted(PETITION)  # the demo petition in all ten languages
    assert {t["language"] for t in petition["texts"]} == set(PETITION)
    assert petition["url"].endswith(world.petition.get_absolute_url())
    assert get(f"/api/petitions/{world.petition.slug}?lang=xx").status_code == 422
    assert get("/api/campaigns?year=1800").status_code == 422
    assert get("/api/campaigns?status=draft").status_code == 422


@pytest.fixture
def directory(world: World) -> dict[str, Mission]:
    kp = Mission.objects.create(
        key="kp-e-de",
        sending_state="KP",
        kind="embassy",
        name="Embassy of the DPRK in Berlin",
        host_country="DE",
        city="Berlin",
        source="test",
    )
    closed = Mission.objects.create(
        key="cn-cg-us-houston-old",
        sending_state="CN",
        kind="consulate",
        name="Former consulate",
        host_country="US",
        city="Houston",
        status="closed",
        closed="2020-07-24",
        source="test",
    )
    MissionArea.objects.create(mission=world.consulate, kind="district", code="US-IL")
    MissionArea.objects.create(mission=world.consulate, kind="district", code="US-WI")
    MissionArea.objects.create(mission=world.embassy, kind="accreditation", code="BS")
    return {"kp": kp, "closed": closed}


def test_mission_directory_filters(world, directory):
    def keys(query: str) -> list[str]:
        response = get("/api/missions" + query)
        assert response.status_code == 200, response.content
        return [m["key"] for m in response.json()["items"]]

    assert keys("?sending_state=KP") == ["kp-e-de"]
    assert set(keys("?sending_state=cn")) == {
        "test-emb-us",
        "test-cg-chicago",
        "test-cg-houston",
        "cn-cg-us-houston-old",
    }
    assert keys("?host_country=DE") == ["kp-e-de"]
    assert keys("?status=closed") == ["cn-cg-us-houston-old"]
    assert set(keys("?kind=consulate_general")) == {"test-cg-chicago", "test-cg-houston"}
    assert keys("?serves=us-il") == ["test-cg-chicago"]
    assert keys("?serves=BS") == ["test-emb-us"]
    assert keys("?sending_state=CN&kind=embassy&status=open") == ["test-emb-us"]

    chicago = get("/api/missions/test-cg-chicago").json()
    assert chicago["districts"] == ["US-IL", "US-WI"] and chicago["accreditations"] == []
    assert get("/api/missions/test-emb-us").json()["accreditations"] == ["BS"]
    assert get("/api/missions/no-such-mission").status_code == 404
    for bad in ("?kind=palace", "?status=ajar", "?sending_state=C", "?serves=not a code"):
        response = get("/api/missions" + bad)
        assert response.status_code == 422, bad
        assert response.json()["detail"][0]["loc"][0] == "query"


def test_pagination_has_totals_and_stable_pages(world, directory):
    everything = get("/api/missions?limit=500").json()
    total = everything["count"]
    assert total == Mission.objects.count() == 5
    keys = [m["key"] for m in everything["items"]]
    pages = []
    for offset in range(0, total, 2):
        page = get(f"/api/missions?limit=2&offset={offset}").json()
        assert (page["count"], page["limit"], page["offset"]) == (total, 2, offset)
        pages += [m["key"] for m in page["items"]]
    assert pages == keys
    beyond = get(f"/api/missions?limit=2&offset={total + 10}").json()
    assert beyond["items"] == [] and beyond["count"] == total
    for bad in ("limit=0", "limit=501", "offset=-1", "offset=99999999999999999999", "limit=x"):
        assert get(f"/api/missions?{bad}").status_code == 422, bad


def test_errors_are_json(world):
    for path, status in (
        ("/api/campaigns/nope", 404),
        ("/api/events/not-a-uuid", 422),
        ("/api/events/00000000-0000-0000-0000-000000000000", 404),
        ("/api/nothing/here", 404),
        ("/api/campaigns/", 404),
    ):
        response = get(path)
        assert response.status_code == status, path
        assert response["Content-Type"].startswith("application/json"), path
        assert "detail" in response.json(), path
    response = Client().post("/api/campaigns", {})
    assert response.status_code == 405
    # A misspelt filter is refused rather than ignored.
    typo = get("/api/missions?host_contry=DE")
    assert typo.status_code == 422
    assert typo.json()["detail"] == [
        {"type": "unknown_parameter", "loc": ["query", "host_contry"], "msg": "Unknown parameter"}
    ]
    assert get(f"/api/missions/{world.embassy.key}?limit=1").status_code == 422
    twice = get("/api/missions?kind=embassy&kind=consulate")
    assert twice.status_code == 422
    assert twice.json()["detail"][0]["type"] == "repeated_parameter"


def test_openapi_document_lists_every_operation():
    response = Client().get("/api/openapi.json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert operations == {
        ("GET", "/api/campaigns"),
        ("GET", "/api/campaigns/{slug}"),
        ("GET", "/api/campaigns/{slug}/counts"),
        ("GET", "/api/campaigns/{slug}/events"),
        ("GET", "/api/petitions"),
        ("GET", "/api/petitions/{slug}"),
        ("GET", "/api/events/{uuid}"),
        ("GET", "/api/missions"),
        ("GET", "/api/missions/{key}"),
        ("GET", "/api/me"),
        ("GET", "/api/campaigns/{slug}/signatures"),
        ("GET", "/api/campaigns/{slug}/deliveries"),
        ("GET", "/api/campaigns/{slug}/deliveries/{key}"),
        ("POST", "/api/campaigns/{slug}/deliveries/{key}/record"),
        ("GET", "/api/campaigns/{slug}/rsvps"),
        ("GET", "/api/reports"),
        ("GET", "/api/campaigns/{slug}/report"),
    }
    operation_ids = [op["operationId"] for item in schema["paths"].values() for op in item.values()]
    assert len(operation_ids) == len(set(operation_ids)) == len(operations)
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"
    for item in schema["paths"].values():
        for op in item.values():
            assert "200" in op["responses"] and "429" in op["responses"], op["operationId"]
    # Every reference resolves.
    text = json.dumps(schema)
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', text)):
        assert ref in schema["components"]["schemas"], ref


def test_docs_page_lists_the_operations_and_loads_nothing_from_elsewhere():
    response = Client().get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    schema = Client().get("/api/openapi.json").json()
    for path in schema["paths"]:
        assert path in html, path
    assert "cdn" not in html.lower()
    assert not re.search(r"""src=["']https?://""", html), "an outside resource"
    # Links the browser loads (style sheets, icons, preloads); alternate-language links are not.
    for link in re.findall(r"<link [^>]*>", html):
        if re.search(r"""href=["']https?://""", link):
            assert re.search(r"""rel=["'](alternate|canonical)["']""", link), link
    assert "/api/openapi.json" in html


def test_documented_choices_are_the_models_choices():
    from typing import get_args

    from safepassage.api import schemas
    from safepassage.deliveries.models import Delivery

    for literal, choices in (
        (schemas.StatusValue, Delivery.Status),
        (schemas.EventKind, Event.Kind),
        (schemas.EventStatus, Event.Status),
        (schemas.MissionKind, Mission.Kind),
        (schemas.MissionStatus, Mission.Status),
    ):
        assert set(get_args(literal)) == set(choices.values), choices


def test_a_page_costs_a_few_queries_whatever_its_length(world, django_assert_max_num_queries):
    for n in range(40):
        mission = Mission.objects.create(
            key=f"many-{n}",
            sending_state="CN",
            kind="consulate",
            name=f"Consulate {n}",
            host_country="DE",
            city=f"City {n}",
            source="test",
        )
        MissionArea.objects.create(mission=mission, kind="district", code="DE-BY")
    with django_assert_max_num_queries(4):
        data = get("/api/missions?limit=500").json()
    assert data["count"] == 43
    assert all(m["districts"] == ["DE-BY"] for m in data["items"] if m["key"].startswith("many"))
    with django_assert_max_num_queries(6):
        assert get("/api/campaigns").json()["count"] == 2
