"""OSDI import: an Action Network style page of signatures, through the same rules as any list."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from safepassage.accounts.tests.world import World
from safepassage.api.tests.helpers import get, token_for
from safepassage.api.tests.helpers import make_signature as saved_signature
from safepassage.campaigns.models import Petition
from safepassage.exports import osdi
from safepassage.exports.models import ExportLog
from safepassage.exports.tests.conftest import make_signature
from safepassage.lib import crypto
from safepassage.signatures.models import Erasure, Signature
from safepassage.signatures.services import hash_email

pytestmark = pytest.mark.django_db

SOURCE = "Action Network: Bravo Refugee Aid petition"


def person(
    given: str, family: str, email: str, status: str = "subscribed", city: str = "Washington"
) -> dict[str, Any]:
    return {
        "given_name": given,
        "family_name": family,
        "email_addresses": [{"primary": True, "address": email, "status": status}],
        "postal_addresses": [
            {"primary": True, "locality": city, "region": "DC", "country": "US"},
            {"primary": False, "locality": "Elsewhere", "country": "FR"},
        ],
    }


def signature(index: int, who: dict[str, Any]) -> dict[str, Any]:
    """One item of an Action Network page of osdi:signatures, its person embedded."""
    return {
        "identifiers": [f"action_network:{index:08d}-sig"],
        "created_date": "2026-09-20T10:00:00Z",
        "modified_date": "2026-09-20T10:00:00Z",
        "_links": {
            "self": {"href": f"https://actionnetwork.org/api/v2/petitions/p/signatures/{index}"}
        },
        "_embedded": {"osdi:person": who},
    }


def page(*people: dict[str, Any]) -> dict[str, Any]:
    items = [signature(i, who) for i, who in enumerate(people, start=1)]
    return {
        "total_pages": 1,
        "per_page": 25,
        "page": 1,
        "total_records": len(items),
        "_links": {"osdi:signatures": [item["_links"]["self"] for item in items]},
        "_embedded": {"osdi:signatures": items},
    }


def run(world: World, document: Any, tmp_path: Path, *extra: str, petition: Any = None) -> str:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    out = io.StringIO()
    call_command(
        "import_osdi",
        (petition or world.petition).slug,
        str(path),
        "--source",
        SOURCE,
        "--user",
        world.users["organiser"].username,
        *extra,
        stdout=out,
    )
    return out.getvalue()


def test_an_action_network_page_dedups_and_keeps_consent_as_paper_lists_do(world, tmp_path):
    petition = world.petition
    make_signature(petition, email_hash=hash_email("dora.dup@example.org")).save()
    Erasure.objects.create(
        petition=petition, email_hash=hash_email("wendy.withdrew@example.org"), reason="withdrawn"
    )
    before = Signature.objects.filter(petition=petition).count()
    document = page(
        person("Ana", "Subscribed", "ana.sub@gmail.com"),
        person("Ben", "Unsubscribed", "ben.unsub@example.org", status="unsubscribed"),
        person("Dora", "Duplicate", "DORA.DUP@Example.org"),
        # The same person twice in the file: gmail ignores dots and +tags.
        person("Ana", "Again", "a.na.sub+petition@gmail.com"),
        person("Wendy", "Withdrew", "wendy.withdrew@example.org"),
        person("Nora", "Nocity", "nora.nocity@example.org", city=""),
        {"given_name": "Ned", "family_name": "Noaddress", "postal_addresses": []},
    )
    output = run(world, document, tmp_path)
    assert output.startswith("7 records: imported 2 signatures")
    assert "3 duplicates, 2 rejected" in output
    assert "record 3: duplicate: already signed this petition" in output
    assert "record 4: duplicate: the same person as on line 1" in output
    assert "record 5: duplicate: withdrew" in output
    for address in ("ana.sub", "ben.unsub", "dora.dup", "wendy", "nora.nocity", "@"):
        assert address not in output.lower()
    created = Signature.objects.filter(petition=petition, channel="import").order_by("pk")
    assert Signature.objects.filter(petition=petition).count() == before + 2
    ana, ben = created
    assert (ana.first_name, ana.contact, ana.publish_name) == ("Ana", "updates", False)
    assert crypto.decrypt(ana.email_encrypted) == "ana.sub@gmail.com"
    assert ana.email_hash == hash_email("ana.sub@gmail.com")
    assert (ana.city, ana.region, ana.country) == ("Washington", "US-DC", "US")
    assert ana.source == "OSDI: " + SOURCE and ana.status == "confirmed"
    assert (ben.contact, ben.email_encrypted) == ("count", "")
    log = ExportLog.objects.get(kind="import", format="json")
    assert (log.rows, log.note, log.user) == (2, "OSDI: " + SOURCE, world.users["organiser"])

    # Again: nothing new, every person is a duplicate now.
    again = run(world, document, tmp_path)
    assert again.startswith("7 records: imported 0 signatures")
    assert Signature.objects.filter(petition=petition).count() == before + 2


def test_names_go_to_the_missions_only_when_the_organiser_says_so(world, tmp_path):
    run(world, page(person("Hana", "Handover", "hana@example.org")), tmp_path, "--hand-over-names")
    hana = Signature.objects.get(petition=world.petition, first_name="Hana")
    assert hana.publish_name is True


def test_check_writes_nothing_and_refusals(world, tmp_path):
    before = Signature.objects.count()
    output = run(world, page(person("Cy", "Check", "cy@example.org")), tmp_path, "--check")
    assert output.startswith("1 records: would import 1 signatures")
    assert Signature.objects.count() == before and not ExportLog.objects.exists()
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError, match="not JSON"):
        call_command(
            "import_osdi", world.petition.slug, str(bad), "--source", "x", "--user",
            world.users["organiser"].username,
        )  # fmt: skip
    with pytest.raises(CommandError, match="no _embedded"):
        run(world, {"_embedded": {"osdi:tags": []}}, tmp_path)
    # Someone who does not organise the campaign cannot declare a list.
    for persona in ("organiser_b", "coordinator_a"):
        with pytest.raises(CommandError, match="organiser"):
            call_command(
                "import_osdi", world.petition.slug, str(bad), "--source", "x", "--user",
                world.users[persona].username,
            )  # fmt: skip


def test_consent_is_read_conservatively():
    subscribed = {"address": "a@example.org", "status": "subscribed"}
    assert osdi.consent({}, subscribed) == "updates"
    assert osdi.consent({"custom_fields": {"safepassage_consent": "contact"}}, subscribed) == (
        "contact"
    )
    for status in ("unsubscribed", "bouncing", "spam complaint", "", "Subscribed?"):
        widened = {"custom_fields": {"safepassage_consent": "contact"}}
        assert osdi.consent(widened, {"address": "a@example.org", "status": status}) == "count"
    assert osdi.consent({}, {"status": "subscribed"}) == "count"


def test_what_the_osdi_api_gives_imports_into_another_petition(world, tmp_path):
    """A round trip: the people page of one campaign's OSDI API, imported elsewhere."""
    saved_signature(world.petition, "cai", first_name="Cai", email="cai.round@example.org")
    token = token_for(world.users["organiser"])
    people = get("/api/osdi/v1/people?per_page=100", token).json()
    target = Petition.objects.create(campaign=world.campaign, slug="osdi-round-trip")
    output = run(world, people, tmp_path, petition=target)
    cai = Signature.objects.get(petition=target, first_name="Cai")
    assert (
        cai.contact == "contact" and crypto.decrypt(cai.email_encrypted) == "cai.round@example.org"
    )
    assert "cai.round" not in output


def test_an_organiser_uploads_checks_and_imports_an_osdi_export(world):
    client = world.clients["organiser"]
    start = reverse("exports:import_osdi", args=[world.campaign.slug])
    assert "OSDI" in client.get(start).content.decode()
    document = page(
        person("Ivy", "Upload", "ivy.upload@example.org"),
        person("Ivy", "Twice", "IVY.UPLOAD@example.org"),
    )
    data = json.dumps(document).encode()
    response = client.post(
        start,
        {"petition": world.petition.pk, "file": SimpleUploadedFile("an.json", data)},
    )
    assert response.status_code == 302
    check_page = response["Location"]
    html = client.get(check_page).content.decode()
    assert "2 records" in html and "ivy.upload" not in html
    before = Signature.objects.count()
    # The check and an import without the declaration write nothing.
    html = client.post(check_page, {"source": "AN", "action": "check"}).content.decode()
    assert "Check of the file" in html and "ivy.upload" not in html.lower()
    html = client.post(check_page, {"source": "AN", "action": "import"}).content.decode()
    assert "Nothing is imported unless" in html
    assert Signature.objects.count() == before
    html = client.post(
        check_page, {"source": "AN", "action": "import", "declaration": "on"}
    ).content.decode()
    assert Signature.objects.count() == before + 1
    assert "ivy.upload" not in html.lower()
    ivy = Signature.objects.get(first_name="Ivy", petition=world.petition)
    assert (ivy.channel, ivy.source, ivy.contact) == ("import", "OSDI: AN", "updates")
    # The upload is gone once imported; a CSV upload or not-JSON is refused with a message.
    assert client.get(check_page).status_code == 404
    response = client.post(
        start,
        {"petition": world.petition.pk, "file": SimpleUploadedFile("a.csv", b"a;b\n1;2\n")},
    )
    assert response.status_code == 200 and "not JSON" in response.content.decode()
