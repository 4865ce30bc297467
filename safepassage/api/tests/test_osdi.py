"""The OSDI read API: a client walks it; a token sees its campaigns and consenting people only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse

from safepassage.accounts.models import Role
from safepassage.api.models import ApiToken, Disclosure
from safepassage.api.tests.helpers import get, make_signature, token_for
from safepassage.api.tests.osdi_client import Client, ShapeError, django_fetch, http_fetch
from safepassage.campaigns.models import Petition
from safepassage.events.models import RSVP
from safepassage.lib import crypto
from safepassage.signatures.models import Signature

pytestmark = pytest.mark.django_db

AEP = "http://testserver/api/osdi/v1/"
CONTACT_EMAIL = "cai.contact@example.org"
UPDATES_EMAIL = "uma.updates@example.org"


@pytest.fixture
def people(world: Any) -> dict[str, Signature]:
    petition = world.petition
    return {
        "count": make_signature(petition, "cora", first_name="Cora", last_name="Countonly"),
        "updates": make_signature(
            petition,
            "uma",
            first_name="Uma",
            last_name="Updates",
            email=UPDATES_EMAIL,
            contact=Signature.Contact.UPDATES,
        ),
        "contact": make_signature(
            petition, "cai", first_name="Cai", last_name="Contact", email=CONTACT_EMAIL
        ),
        "pending": make_signature(
            petition,
            "pat",
            first_name="Pat",
            last_name="Pending",
            email="pat.pending@example.org",
            status=Signature.Status.PENDING,
        ),
        "held": make_signature(
            petition,
            "hal",
            first_name="Hal",
            last_name="Heldback",
            email="hal.held@example.org",
            review_reason="unusual signing rate",
        ),
    }


@pytest.fixture
def other(world: Any) -> dict[str, Any]:
    petition_b = Petition.objects.create(campaign=world.other_campaign, slug="osdi-other-petition")
    signature = make_signature(
        petition_b, "bob", first_name="Bob", last_name="Bravo", email="bob.bravo@example.org"
    )
    return {"petition": petition_b, "signature": signature}


def walk(token: str) -> Any:
    return Client(django_fetch(DjangoClient(), token)).run(AEP)


def bodies(walked: Any) -> str:
    return json.dumps(
        [walked.petitions, walked.signatures, walked.people, walked.events, walked.attendances]
    )


def test_an_osdi_client_walks_every_collection_to_its_end(world, people):
    token = token_for(world.users["organiser"])
    walked = walk(token)
    petitions = Petition.objects.filter(campaign=world.campaign)
    assert len(walked.petitions) == petitions.count() >= 1
    counted = Signature.objects.counted().filter(petition__campaign=world.campaign)
    assert sum(len(rows) for rows in walked.signatures.values()) == counted.count()
    # per_page=2 over the signatures and people: several pages, each reached by "next".
    assert walked.pages > len(walked.petitions) + 3
    consenting = counted.filter(contact__in=["updates", "contact"]).count()
    guests = RSVP.objects.filter(
        event__campaign=world.campaign, status="confirmed", contact_ok=True
    ).count()
    assert len(walked.people) == consenting + guests
    assert len(walked.events) == world.campaign.events.count()


def test_people_hold_only_consenting_signers_and_addresses_only_under_contact(world, people):
    token = token_for(world.users["organiser"])
    walked = walk(token)
    text = bodies(walked)
    ids = {p["identifiers"][0] for p in walked.people}
    assert f"safepassage:{people['updates'].uuid}" in ids
    assert f"safepassage:{people['contact'].uuid}" in ids
    for key in ("count", "pending", "held"):
        assert f"safepassage:{people[key].uuid}" not in ids
        assert people[key].last_name not in text
        response = get(f"/api/osdi/v1/people/{people[key].uuid}", token)
        assert response.status_code == 404
    # Nobody who chose "only count" is a person, anywhere in the campaign.
    count_only = Signature.objects.filter(petition__campaign=world.campaign, contact="count")
    assert not {f"safepassage:{u}" for u in count_only.values_list("uuid", flat=True)} & ids
    # The plain address only under "let the coalition contact me".
    by_id = {p["identifiers"][0]: p for p in walked.people}
    contact = by_id[f"safepassage:{people['contact'].uuid}"]
    assert contact["email_addresses"] == [
        {"primary": True, "address": CONTACT_EMAIL, "status": "subscribed"}
    ]
    assert contact["postal_addresses"][0]["locality"] == "Washington"
    updates = by_id[f"safepassage:{people['updates'].uuid}"]
    assert updates["email_addresses"] == []
    assert updates["given_name"] == "Uma"
    for signature in Signature.objects.filter(petition__campaign=world.campaign).exclude(
        email_encrypted=""
    ):
        address = crypto.decrypt(signature.email_encrypted)
        assert (address in text) == (
            signature.contact == "contact" and f"safepassage:{signature.uuid}" in ids
        ), signature.pk
    for rsvp in RSVP.objects.exclude(email_encrypted=""):
        assert crypto.decrypt(rsvp.email_encrypted) not in text
    # A signature links to its person only when there is one.
    links = {s["identifiers"][0]: s["_links"] for rows in walked.signatures.values() for s in rows}
    assert "osdi:person" not in links[f"safepassage:{people['count'].uuid}"]
    assert "osdi:person" in links[f"safepassage:{people['contact'].uuid}"]
    # Each answer that carried addresses was recorded, with how many.
    recorded = Disclosure.objects.filter(campaign=world.campaign)
    assert sum(recorded.values_list("addresses", flat=True)) >= 1
    assert all(d.token is not None and d.user == world.users["organiser"] for d in recorded)
    assert CONTACT_EMAIL not in json.dumps(list(recorded.values()), default=str)


def test_a_person_answers_alone_and_is_recorded(world, people):
    token = token_for(world.users["organiser"])
    before = Disclosure.objects.count()
    response = get(f"/api/osdi/v1/people/{people['contact'].uuid}", token)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/hal+json")
    assert response.json()["email_addresses"][0]["address"] == CONTACT_EMAIL
    assert Disclosure.objects.count() == before + 1
    response = get(f"/api/osdi/v1/people/{people['updates'].uuid}", token)
    assert response.json()["email_addresses"] == []
    assert Disclosure.objects.count() == before + 1


def test_attendances_link_a_person_only_for_guests_who_agreed(world):
    token = token_for(world.users["organiser"])
    guest = RSVP.objects.filter(event=world.event_a, status="confirmed").first()
    assert guest is not None
    RSVP.objects.filter(pk=guest.pk).update(contact_ok=False, email_encrypted="")
    walked = walk(token)
    rows = walked.attendances[f"http://testserver/api/osdi/v1/events/{world.event_a.uuid}"]
    mine = [a for a in rows if a["identifiers"][0] == f"safepassage:{guest.uuid}"]
    assert len(mine) == 1 and "osdi:person" not in mine[0]["_links"]
    assert mine[0]["status"] == "accepted"
    assert guest.name not in bodies(walked)
    assert get(f"/api/osdi/v1/people/{guest.uuid}", token).status_code == 404
    pending = RSVP.objects.filter(event=world.event_a, status="pending").first()
    assert pending is not None and pending.name not in bodies(walked)


def test_a_token_of_campaign_b_sees_nothing_of_campaign_a(world, people, other):
    token_b = token_for(world.users["organiser_b"])
    walked = walk(token_b)
    assert [p["identifiers"] for p in walked.petitions] == [["safepassage:osdi-other-petition"]]
    assert "Bob" in bodies(walked)
    assert "Cai" not in bodies(walked) and "Contact" not in bodies(walked)
    slug = world.petition.slug
    for path in (
        f"petitions/{slug}",
        f"petitions/{slug}/signatures",
        f"petitions/{slug}/signatures/{people['contact'].uuid}",
        f"people/{people['contact'].uuid}",
        f"events/{world.event_a.uuid}",
        f"events/{world.event_a.uuid}/attendances",
    ):
        response = get(f"/api/osdi/v1/{path}", token_b)
        assert response.status_code == 404, path
        assert response["Content-Type"].startswith("application/hal+json")


def test_a_token_for_one_campaign_is_narrowed_to_it_everywhere(world, people, other):
    """An organiser of both campaigns makes a token for B only: A is 404, in every API."""
    user = world.users["organiser"]
    Role.objects.create(user=user, campaign=world.other_campaign, kind=Role.Kind.ORGANISER)
    both = token_for(user)
    assert (
        len(walk(both).petitions)
        == Petition.objects.filter(campaign__in=[world.campaign, world.other_campaign]).count()
    )
    only_b = ApiToken.issue(user, "B only", ApiToken.Scope.READ, campaign=world.other_campaign)[1]
    walked = walk(only_b)
    assert [p["identifiers"] for p in walked.petitions] == [["safepassage:osdi-other-petition"]]
    assert get(f"/api/osdi/v1/petitions/{world.petition.slug}", only_b).status_code == 404
    assert get(f"/api/campaigns/{world.campaign.slug}/signatures", only_b).status_code == 404
    assert get(f"/api/campaigns/{world.other_campaign.slug}/signatures", only_b).status_code == 200
    me = get("/api/me", only_b).json()
    assert [c["slug"] for c in me["campaigns"]] == [world.other_campaign.slug]


def test_tokens_headers_and_parameters(world, people):
    organiser = token_for(world.users["organiser"])
    client = DjangoClient()
    response = client.get("/api/osdi/v1/")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/hal+json")
    assert client.get("/api/osdi/v1/", headers={"OSDI-API-Token": "sp_nope"}).status_code == 401
    ApiToken.objects.filter(user=world.users["organiser"]).update(revoked_at="2026-01-01T00:00Z")
    assert get("/api/osdi/v1/petitions", organiser).status_code == 401
    organiser = token_for(world.users["organiser"])
    assert get("/api/osdi/v1/petitions?per_page=101", organiser).status_code == 422
    assert get("/api/osdi/v1/petitions?page=0", organiser).status_code == 422
    assert get("/api/osdi/v1/petitions?limit=5", organiser).status_code == 422
    assert get("/api/osdi/v1/petitions?page=1&page=2", organiser).status_code == 422
    assert (
        client.post("/api/osdi/v1/petitions", headers={"OSDI-API-Token": organiser}).status_code
        == 405
    )
    beyond = get("/api/osdi/v1/petitions?page=50", organiser).json()
    assert beyond["_embedded"]["osdi:petitions"] == [] and "next" not in beyond["_links"]
    # A coordinator's or partner's token: no campaign it organises, so nothing at all.
    for persona in ("coordinator_a", "partner"):
        token = token_for(world.users[persona])
        walked = walk(token)
        assert walked.petitions == [] and walked.people == [] and walked.events == []
        assert get(f"/api/osdi/v1/people/{people['contact'].uuid}", token).status_code == 404


def test_the_client_catches_a_broken_page():
    def fetch(url: str) -> tuple[int, str, Any]:
        return 200, "application/hal+json", {"page": 1, "per_page": 2, "total_pages": 1}

    with pytest.raises(ShapeError):
        Client(fetch).collection("http://x/petitions", "osdi:petitions")


@pytest.mark.django_db(transaction=True)
def test_the_client_over_real_http(live_server, petition):
    from safepassage.accounts.tests.world import build_world

    world = build_world(petition, sign=False)
    make_signature(world.petition, "cai", email=CONTACT_EMAIL)
    make_signature(world.petition, "cora")
    token = token_for(world.users["organiser"])
    aep = live_server.url + reverse("api:osdi:aep")
    walked = Client(http_fetch(token)).run(aep)
    assert all(url.startswith(live_server.url) for url in walked.urls)
    assert CONTACT_EMAIL in bodies(walked)


def test_the_tokens_page_makes_a_token_for_one_campaign(world, people, other):
    client = world.clients["organiser"]
    html = client.get("/api/tokens/").content.decode()
    # Only the user's own campaigns are offered.
    assert world.campaign.title in html and world.other_campaign.title not in html
    refused = client.post(
        "/api/tokens/", {"name": "b", "scope": "read", "campaign": world.other_campaign.pk}
    )
    assert 'id="token-value"' not in refused.content.decode()
    response = client.post(
        "/api/tokens/", {"name": "osdi sync", "scope": "read", "campaign": world.campaign.pk}
    )
    found = re.search(r'<code id="token-value">([^<]+)</code>', response.content.decode())
    assert found is not None
    row = ApiToken.objects.get(name="osdi sync")
    assert row.campaign == world.campaign
    walked = walk(found.group(1))
    assert {p["identifiers"][0] for p in walked.petitions} == {
        f"safepassage:{slug}"
        for slug in Petition.objects.filter(campaign=world.campaign).values_list("slug", flat=True)
    }
