"""The team's endpoints: token authentication, roles and scopes, audited delivery updates."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from django.test import Client
from django.utils import timezone

from safepassage.accounts.tests.world import (
    NAMES_A,
    NAMES_B,
    RSVP_EMAILS,
    UNCONFIRMED,
    World,
)
from safepassage.api.models import ApiToken
from safepassage.api.tests.helpers import bearer, get, make_signature, post_json, token_for
from safepassage.deliveries.models import Delivery
from safepassage.signatures.models import Signature

SIGNATURE_FIELDS = {
    "id",
    "petition",
    "first_name",
    "last_name",
    "city",
    "region",
    "country",
    "mission",
    "confirmed_at",
    "publish_name",
}


@pytest.fixture
def tokens(world: World) -> dict[str, str]:
    """A read and a write token for every persona with an account."""
    out = {}
    for role in ("coordinator_a", "coordinator_b", "partner", "organiser", "outsider"):
        out[role] = token_for(world.users[role], ApiToken.Scope.READ)
        out[f"{role}+write"] = token_for(world.users[role], ApiToken.Scope.WRITE)
    return out


# --- Authentication ------------------------------------------------------------------


def test_missing_invalid_revoked_or_inactive_tokens_are_401(world, tokens):
    url = f"/api/campaigns/{world.campaign.slug}/deliveries"
    assert get(url, tokens["organiser"]).status_code == 200

    missing = get(url)
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert missing.json()["detail"]

    for header in ("Bearer sp_not-a-real-token", "Bearer ", "Token abc", "Basic b3JnOnB3"):
        response = Client().get(url, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, header
        assert response["Content-Type"].startswith("application/json")

    # A session cookie is no API credential.
    client = Client()
    client.force_login(world.users["organiser"])
    assert client.get(url).status_code == 401

    row = ApiToken.objects.get(user=world.users["organiser"], scope="read")
    row.revoke()
    revoked = get(url, tokens["organiser"])
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]

    coordinator = world.users["coordinator_a"]
    coordinator.is_active = False
    coordinator.save()
    assert get(url, tokens["coordinator_a"]).status_code == 401


def test_only_a_hash_is_stored_and_use_is_recorded(world):
    row, token = ApiToken.issue(world.users["organiser"], "board", ApiToken.Scope.READ)
    assert token.startswith("sp_") and len(token) > 40
    stored = ApiToken.objects.filter(pk=row.pk).values().get()
    assert token not in json.dumps(stored, default=str)
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert stored["prefix"] == token[:7]
    assert stored["last_used_at"] is None

    me = get("/api/me", token).json()
    assert me["username"] == world.users["organiser"].username
    assert me["token"] == {
        "name": "board",
        "scope": "read",
        "prefix": token[:7],
        "created_at": me["token"]["created_at"],
    }
    assert {c["slug"]: c["roles"] for c in me["campaigns"]} == {world.campaign.slug: ["organiser"]}
    row.refresh_from_db()
    assert row.last_used_at is not None


# --- Signatures: organisers only, no e-mail ------------------------------------------


def test_organiser_reads_counted_signatures_without_email(world, tokens):
    routed = make_signature(
        world.petition, "one", mission=world.embassy, email="contact.me@example.org"
    )
    make_signature(
        world.petition, "two", country="KR", city="Seoul", region="KR-11", publish_name=False
    )
    make_signature(world.petition, "pending", status=Signature.Status.PENDING)
    make_signature(world.petition, "held", review_reason="look-alike domain")
    make_signature(world.other_campaign.petitions.create(slug="elsewhere"), "other")

    response = get(f"/api/campaigns/{world.campaign.slug}/signatures", tokens["organiser"])
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 2 == Signature.objects.counted().filter(petition=world.petition).count()
    for item in data["items"]:
        assert set(item) == SIGNATURE_FIELDS
    body = response.content.decode()
    assert "email" not in body and "contact.me" not in body and "@" not in body
    first = data["items"][0]
    assert first["id"] == str(routed.uuid)
    assert first["mission"] == world.embassy.key
    assert (first["first_name"], first["last_name"], first["country"]) == ("Min-jun", "Park", "US")
    assert data["items"][1]["publish_name"] is False

    url = f"/api/campaigns/{world.campaign.slug}/signatures"
    assert get(url + "?country=kr", tokens["organiser"]).json()["count"] == 1
    assert get(url + f"?mission={world.embassy.key}", tokens["organiser"]).json()["count"] == 1
    assert get(url + "?petition=nope", tokens["organiser"]).json()["count"] == 0
    assert get(url + "?email=x", tokens["organiser"]).status_code == 422
    for far, count in (("0001-01-01T00:00:00%2B14:00", 2), ("9999-12-31T23:59:59-14:00", 0)):
        assert get(url + "?confirmed_since=" + far, tokens["organiser"]).json()["count"] == count
    assert get(url + "?confirmed_since=yesterday", tokens["organiser"]).status_code == 422
    later = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    assert (
        get(url + "?confirmed_since=" + later.replace("+", "%2B"), tokens["organiser"]).json()[
            "count"
        ]
        == 0
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("coordinator_a", 403), ("coordinator_b", 403), ("partner", 403), ("outsider", 404)],
)
def test_others_get_no_signatures(world, tokens, role, status):
    make_signature(world.petition, "one")
    response = get(f"/api/campaigns/{world.campaign.slug}/signatures", tokens[role])
    assert response.status_code == status
    assert "Park" not in response.content.decode()


def test_organiser_of_another_campaign_gets_404(world, tokens):
    response = get(f"/api/campaigns/{world.other_campaign.slug}/signatures", tokens["organiser"])
    assert response.status_code == 404


# --- Deliveries and RSVP counts: organisers and coordinators, in scope -----------------


def delivery_keys(world: World, token: str) -> set[str]:
    response = get(f"/api/campaigns/{world.campaign.slug}/deliveries", token)
    assert response.status_code == 200, response.content
    return {d["mission"]["key"] for d in response.json()["items"]}


def test_deliveries_in_scope(world, tokens):
    assert delivery_keys(world, tokens["organiser"]) == {"test-emb-us", "test-cg-chicago"}
    url = f"/api/campaigns/{world.campaign.slug}/deliveries"
    every = set(Delivery.Status.values)
    for item in get(url, tokens["organiser"]).json()["items"]:
        assert set(item["allowed_statuses"]) == every
    (chicago,) = get(url, tokens["coordinator_b"]).json()["items"]
    assert set(chicago["allowed_statuses"]) == every - {"planned"}
    assert delivery_keys(world, tokens["coordinator_a"]) == {"test-emb-us"}
    assert delivery_keys(world, tokens["coordinator_b"]) == {"test-cg-chicago"}
    assert get(url, tokens["partner"]).status_code == 403
    assert get(url, tokens["outsider"]).status_code == 404

    detail = get(f"{url}/test-emb-us", tokens["coordinator_a"]).json()
    assert detail["status"] == "in_person" and detail["delivered_by"] == "Carla Capitol"
    assert detail["allowed_statuses"] == []  # done: only an organiser corrects it
    assert get(f"{url}/test-cg-chicago", tokens["coordinator_a"]).status_code == 404
    assert get(f"{url}/test-cg-houston", tokens["organiser"]).status_code == 404
    assert get(f"{url}?status=planned", tokens["organiser"]).json()["count"] == 1
    assert get(f"{url}?country=DE", tokens["organiser"]).json()["count"] == 0


def test_rsvp_counts_without_names(world, tokens):
    url = f"/api/campaigns/{world.campaign.slug}/rsvps"
    organiser = get(url, tokens["organiser"])
    assert organiser.status_code == 200
    rows = {r["event"]: r for r in organiser.json()["items"]}
    a = rows[str(world.event_a.uuid)]
    assert (a["confirmed"], a["confirmed_people"], a["pending"], a["cancelled"]) == (1, 2, 1, 0)
    b = rows[str(world.event_b.uuid)]
    assert (b["confirmed"], b["confirmed_people"], b["pending"], b["cancelled"]) == (1, 3, 0, 1)

    coordinator = get(url, tokens["coordinator_a"]).json()
    assert [r["event"] for r in coordinator["items"]] == [str(world.event_a.uuid)]
    assert get(url, tokens["partner"]).status_code == 403
    assert get(url, tokens["outsider"]).status_code == 404
    for response in (organiser, get(url, tokens["coordinator_b"])):
        body = response.content.decode()
        for secret in (*NAMES_A, *NAMES_B, *UNCONFIRMED, *RSVP_EMAILS):
            assert secret not in body


# --- Recording a delivery ---------------------------------------------------------------


def record_url(world: World, key: str) -> str:
    return f"/api/campaigns/{world.campaign.slug}/deliveries/{key}/record"


def test_delivery_update_is_audited_with_the_user(world, tokens):
    at = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    body = {"status": "in_person", "delivered_by": "Chicago volunteers", "delivered_at": at}
    response = post_json(record_url(world, "test-cg-chicago"), body, tokens["coordinator_b+write"])
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "in_person" and data["delivered_by"] == "Chicago volunteers"
    assert data["history"][-1]["who"] == "Chen Lakeshore"
    assert data["history"][-1]["to_status"] == "delivered in person"

    delivery = Delivery.objects.get(pk=world.delivery_c.pk)
    assert delivery.status == "in_person" and delivery.delivered_at == at
    assert delivery.updated_by == world.users["coordinator_b"]
    latest = delivery.history.order_by("-history_date").first()
    assert latest.history_user == world.users["coordinator_b"]
    assert latest.status == "in_person"

    # Done now: the coordinator may not change it again, an organiser may correct it.
    again = {"status": "failed", "notes": "oops"}
    denied = post_json(record_url(world, "test-cg-chicago"), again, tokens["coordinator_b+write"])
    assert denied.status_code == 403
    corrected = post_json(
        record_url(world, "test-cg-chicago"), {"status": "planned"}, tokens["organiser+write"]
    )
    assert corrected.status_code == 200
    assert (
        Delivery.objects.get(pk=world.delivery_c.pk)
        .history.order_by("-history_date")
        .first()
        .history_user
        == (world.users["organiser"])
    )


def test_delivery_update_needs_write_scope_and_scope(world, tokens):
    body = {"status": "failed", "notes": "closed today"}
    read_only = post_json(record_url(world, "test-cg-chicago"), body, tokens["coordinator_b"])
    assert read_only.status_code == 403
    assert "read" in read_only.json()["detail"]
    other_city = post_json(
        record_url(world, "test-cg-chicago"), body, tokens["coordinator_a+write"]
    )
    assert other_city.status_code == 404
    partner = post_json(record_url(world, "test-cg-chicago"), body, tokens["partner+write"])
    assert partner.status_code == 403
    anonymous = post_json(record_url(world, "test-cg-chicago"), body)
    assert anonymous.status_code == 401
    assert Delivery.objects.get(pk=world.delivery_c.pk).status == "planned"


def test_delivery_update_errors(world, tokens):
    url, token = record_url(world, "test-cg-chicago"), tokens["coordinator_b+write"]
    rule = post_json(url, {"status": "in_person", "delivered_at": timezone.now()}, token)
    assert rule.status_code == 422
    assert set(rule.json()["errors"]) == {"delivered_by"}
    assert rule.json()["detail"]

    naive = post_json(url, {"status": "posted", "delivered_at": "2026-09-24T10:00:00"}, token)
    assert naive.status_code == 422
    assert naive.json()["detail"][0]["loc"] == ["body", "data", "delivered_at"]
    assert post_json(url, {"status": "teleported"}, token).status_code == 422
    ancient = {"status": "posted", "delivered_at": "0001-01-01T00:00:00+14:00"}
    refused = post_json(url, ancient, token)
    assert refused.status_code == 422
    assert set(refused.json()["errors"]) == {"delivered_at"}
    future = timezone.now() + dt.timedelta(days=2)
    assert post_json(url, {"status": "posted", "delivered_at": future}, token).status_code == 422

    broken = Client().post(url, "{not json", content_type="application/json", headers=bearer(token))
    assert broken.status_code == 400
    assert broken.json()["detail"]

    seen = get(f"/api/campaigns/{world.campaign.slug}/deliveries/test-cg-chicago", token).json()[
        "updated_at"
    ]
    Delivery.objects.filter(pk=world.delivery_c.pk).update(
        notes="changed meanwhile", updated_at=timezone.now() + dt.timedelta(seconds=1)
    )
    stale = post_json(url, {"status": "failed", "notes": "closed", "seen": seen}, token)
    assert stale.status_code == 409
    assert "meanwhile" in stale.json()["detail"]
    assert Delivery.objects.get(pk=world.delivery_c.pk).status == "planned"


def test_signature_pages_cost_a_few_queries(world, tokens, django_assert_max_num_queries):
    for n in range(30):
        make_signature(world.petition, f"many-{n}", mission=world.embassy)
    url = f"/api/campaigns/{world.campaign.slug}/signatures?limit=500"
    with django_assert_max_num_queries(12):
        assert get(url, tokens["organiser"]).json()["count"] == 30
