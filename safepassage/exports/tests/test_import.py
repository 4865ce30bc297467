"""Importing signatures collected elsewhere: mapping, validation, duplicates, paper signatures."""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safepassage.accounts.tests.world import World
from safepassage.exports import importer
from safepassage.exports.models import ExportLog, ImportUpload
from safepassage.exports.tests.conftest import make_signature
from safepassage.lib import crypto
from safepassage.signatures.models import Erasure, PaperTally, Signature
from safepassage.signatures.paper import row_key
from safepassage.signatures.services import hash_email

HEADER = "Vorname;Nachname;E-Mail;Stadt;Bundesland;Land;Kontakt;Name weitergeben\n"
GOOD = (
    HEADER
    + "Anna;Schmidt;Anna.Schmidt+vigil@Example.org;Berlin;Berlin;Germany;updates;ja\n"
    + "Bo;Lee;bo.lee@example.org;Seoul;서울;KR;count;no\n"
    + "Carla;Costa;;Washington;US-DC;US;;\n"
    + "Dan;Dorn;;Washington;District of Columbia;USA;;\n"
    + "Eve;Ek;;Boston;MA;US;;\n"
)
MAPPING = {
    "first_name": "0",
    "last_name": "1",
    "email": "2",
    "city": "3",
    "region": "4",
    "country": "5",
    "contact": "6",
    "publish_name": "7",
}
SOURCE = "paper: Washington vigil 2026"


def upload(world: World, text: str, role: str = "organiser") -> Any:
    client = world.clients[role]
    response = client.post(
        reverse("exports:import", args=[world.campaign.slug]),
        {
            "petition": world.petition.pk,
            "file": SimpleUploadedFile("list.csv", text.encode(), content_type="text/csv"),
        },
    )
    return response


def map_url(world: World, text: str) -> str:
    response = upload(world, text)
    assert response.status_code == 302, response.content.decode()
    return str(response["Location"])


def submit(world: World, address: str, action: str = "import", **overrides: str | None) -> Any:
    data: dict[str, str | None] = {**MAPPING, "source": SOURCE, "kind": "paper"}
    data["declaration"] = "on"
    data |= {"action": action, **overrides}
    sent = {key: value for key, value in data.items() if value is not None}
    return world.clients["organiser"].post(address, sent)


def test_only_organisers_may_import(world: World) -> None:
    page = reverse("exports:import", args=[world.campaign.slug])
    assert world.clients["anonymous"].get(page).status_code == 302
    for role in ("coordinator_a", "partner", "outsider"):
        assert world.clients[role].get(page).status_code == 404
        assert upload(world, GOOD, role).status_code == 404
    assert not ImportUpload.objects.exists()
    address = map_url(world, GOOD)
    for role in ("coordinator_a", "outsider"):
        assert world.clients[role].get(address).status_code == 404
    assert world.clients["anonymous"].post(address, MAPPING).status_code == 302
    assert not Signature.objects.exists()


def test_the_upload_is_kept_encrypted_and_the_preview_hides_addresses(world: World) -> None:
    address = map_url(world, GOOD)
    stored = ImportUpload.objects.get()
    assert "example.org" not in stored.content_encrypted
    assert crypto.decrypt(stored.content_encrypted) == GOOD
    page = world.clients["organiser"].get(address).content.decode()
    assert "Anna" in page and "Schmidt" in page and "서울" in page
    assert "example.org" not in page and "@" not in page.split("<main", 1)[-1].split("</main>")[0]
    # The columns are guessed from the header.
    assert re.search(r'<option value="2" selected>3: E-Mail</option>', page)
    assert re.search(r'<option value="0" selected>1: Vorname</option>', page)


def test_a_file_without_a_header_line_shows_no_address_either(world: World) -> None:
    text = "Anna;Schmidt;anna.schmidt@example.org;Berlin;BE;DE\n"
    page = world.clients["organiser"].get(map_url(world, text)).content.decode()
    assert "Anna" in page and "example.org" not in page


def test_checking_writes_nothing_and_reports(world: World) -> None:
    address = map_url(world, GOOD)
    response = submit(world, address, action="check", declaration=None)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Check of the file" in page
    assert "2 rows with an e-mail address" in page
    assert "5 paper signatures (1 only counted, not named)" in page
    assert not Signature.objects.exists() and not PaperTally.objects.exists()


def test_without_the_declaration_nothing_is_imported(world: World) -> None:
    address = map_url(world, GOOD)
    response = submit(world, address, declaration=None)
    assert response.status_code == 200
    assert "Nothing is imported unless you confirm" in response.content.decode()
    assert not Signature.objects.exists() and not PaperTally.objects.exists()
    assert ImportUpload.objects.exists()


def test_a_column_cannot_be_used_twice_and_required_columns_must_be_chosen(world: World) -> None:
    address = map_url(world, GOOD)
    page = submit(world, address, last_name="0").content.decode()
    assert "already used for another field" in page
    page = submit(world, address, country="").content.decode()
    assert "This field is required" in page
    assert not Signature.objects.exists()


def test_importing_creates_confirmed_paper_signatures_with_their_names(world: World) -> None:
    address = map_url(world, GOOD)
    with mock.patch("safepassage.exports.importer.schedule_routing") as routing:
        response = submit(world, address)
    assert response.status_code == 200
    page = response.content.decode()
    assert "5 signatures imported" in page
    assert "5 paper signatures (1 only counted, not named)" in page
    routing.assert_called_once_with(world.petition.pk)

    anna = Signature.objects.get(first_name="Anna")
    assert anna.status == Signature.Status.CONFIRMED and anna.confirmed_at is not None
    assert anna.source == SOURCE and anna.channel == Signature.Channel.PAPER
    # No "collected by" column and no partner given: the source stands for it.
    assert anna.collected_by == SOURCE and anna.sheet == ""
    assert anna.region == "DE-BE" and anna.country == "DE"
    assert anna.contact == "updates" and anna.publish_name is True
    assert anna.email_hash == hash_email("anna.schmidt@example.org")
    assert crypto.decrypt(anna.email_encrypted) == "Anna.Schmidt+vigil@Example.org"
    assert anna.consent_version == importer.CONSENT_VERSION
    assert anna.consent_hash == importer.declaration_hash(SOURCE)
    assert anna.review_reason == ""

    bo = Signature.objects.get(first_name="Bo")
    assert bo.region == "KR-11" and bo.publish_name is False
    # Count only: no address is stored, only the keyed hash.
    assert bo.contact == "count" and bo.email_encrypted == ""

    # Rows without an address are signatures with their names now, not tallies; their
    # name goes to the mission unless the row or the file says count only.
    carla = Signature.objects.get(first_name="Carla")
    assert (carla.city, carla.region, carla.country) == ("Washington", "US-DC", "US")
    assert carla.publish_name is True and carla.contact == "count"
    assert carla.email_encrypted == "" and carla.email_domain_hash == ""
    assert carla.email_hash == row_key(carla.uuid) and len(carla.email_hash) == 64
    assert Signature.objects.get(first_name="Dan").region == "US-DC"
    assert Signature.objects.counted().count() == 5
    assert not PaperTally.objects.exists()

    log = ExportLog.objects.get(kind="import")
    assert log.rows == 5 and log.user == world.users["organiser"] and log.note == SOURCE
    # The upload (with its addresses) is gone.
    assert not ImportUpload.objects.exists()
    assert world.clients["organiser"].get(address).status_code == 404

    index = world.clients["organiser"].get(reverse("exports:index", args=[world.campaign.slug]))
    assert "of which 5 collected on paper" in index.content.decode()


def test_duplicates_in_the_file_and_in_the_database_are_reported_not_created(
    world: World,
) -> None:
    Signature.objects.bulk_create(
        [
            make_signature(
                world.petition, first_name="Online", email_hash=hash_email("bo.lee@example.org")
            )
        ]
    )
    Erasure.objects.create(
        petition=world.petition,
        email_hash=hash_email("gone@example.org"),
        reason=Erasure.Reason.WITHDRAWN,
    )
    text = (
        HEADER
        + "Anna;Schmidt;anna.schmidt@example.org;Berlin;BE;DE;count;no\n"
        + "Anna;Schmidt;ANNA.SCHMIDT+again@example.org;Berlin;BE;DE;count;no\n"
        + "Bo;Lee;Bo.Lee@Example.org;Seoul;KR-11;KR;count;no\n"
        + "Gone;Person;gone@example.org;Berlin;BE;DE;count;no\n"
    )
    response = submit(world, map_url(world, text))
    page = response.content.decode()
    assert "1 signature imported" in page
    assert "3 duplicates" in page
    assert "the same person as on line 2" in page
    assert "already signed this petition" in page
    assert "withdrew their signature" in page
    assert Signature.objects.filter(first_name="Anna").count() == 1
    assert Signature.objects.get(email_hash=hash_email("bo.lee@example.org")).first_name == (
        "Online"
    )
    assert not Signature.objects.filter(first_name="Gone").exists()
    assert "example.org" not in page


def test_invalid_rows_are_rejected_with_their_reasons_and_the_rest_imported(
    world: World,
) -> None:
    text = (
        HEADER
        + "Anna;Schmidt;anna@example.org;Berlin;BE;DE;updates;yes\n"
        + "Bad;Country;;Paris;;Atlantis;;\n"
        + "Bad;Region;;Berlin;Narnia;DE;;\n"
        + "Bad;Mail;not-an-address;Berlin;BE;DE;;\n"
        + "Bad;Contact;x@example.org;Berlin;BE;DE;sometimes;\n"
        + ";NoFirst;;Berlin;BE;DE;;\n"
        + "Bad;Publish;;Berlin;BE;DE;;perhaps\n"
    )
    response = submit(world, map_url(world, text))
    page = response.content.decode()
    assert "6 rows rejected" in page
    for line, reason in (
        (3, "neither an ISO 3166 code nor a country name"),
        (4, "is not a state or province of Germany"),
        (5, "e-mail address: The e-mail address must contain an @ sign."),
        (6, "contact choice"),
        (7, "First name is empty"),
        (8, "publish name"),
    ):
        assert re.search(rf"<td>{line}</td><td>rejected</td><td>[^<]*{re.escape(reason)}", page), (
            line,
            reason,
        )
    assert Signature.objects.get().first_name == "Anna"
    assert not PaperTally.objects.exists()
    # The rejected address is not repeated on the page.
    assert "not-an-address" not in page


def test_names_that_look_like_formulas_are_imported_as_text(world: World) -> None:
    text = HEADER + '\'=HYPERLINK("x");-2+3;f@example.org;Berlin;BE;DE;updates;yes\n'
    submit(world, map_url(world, text))
    signature = Signature.objects.get()
    # Our own neutralised export comes back as the original text.
    assert signature.first_name == '=HYPERLINK("x")'
    assert signature.last_name == "-2+3"


def test_a_look_alike_domain_is_imported_but_held_for_review(world: World) -> None:
    text = HEADER + "Ivan;Ivanov;ivan@g\u043eogle.com;Berlin;BE;DE;count;no\n"
    page = submit(world, map_url(world, text)).content.decode()
    assert "1 held for review" in page
    assert Signature.objects.get().review_reason == "look-alike e-mail domain"
    assert Signature.objects.counted().count() == 0


def test_unreadable_files_are_refused(world: World) -> None:
    for content in ("", "\n\n", "a\x00b"):
        response = upload(world, content)
        assert response.status_code == 200
        assert 'class="error"' in response.content.decode()
    assert not ImportUpload.objects.exists()


def test_a_comma_separated_file_in_windows_encoding_is_read(world: World) -> None:
    text = "first,last,email,city,state,country\nJosé,Núñez,,Madrid,Madrid,ES\n"
    response = world.clients["organiser"].post(
        reverse("exports:import", args=[world.campaign.slug]),
        {"petition": world.petition.pk, "file": SimpleUploadedFile("l.csv", text.encode("cp1252"))},
    )
    address = response["Location"]
    page = world.clients["organiser"].get(address).content.decode()
    assert "José" in page
    mapping = {"first_name": "0", "last_name": "1", "email": "2", "city": "3", "region": "4"}
    mapping |= {"country": "5", "contact": "", "publish_name": ""}
    form = {"source": "paper: Madrid", "kind": "paper", "declaration": "on", "action": "import"}
    world.clients["organiser"].post(address, {**mapping, **form})
    signature = Signature.objects.get()
    assert (signature.first_name, signature.last_name) == ("José", "Núñez")
    assert (signature.country, signature.region, signature.city) == ("ES", "ES-MD", "Madrid")


def test_finding_countries_by_code_or_name() -> None:
    assert importer.find_country("de") == "DE"
    assert importer.find_country("DEU") == "DE"
    assert importer.find_country("  south   korea ") == "KR"
    assert importer.find_country("Deutschland") == "DE"
    assert importer.find_country("대한민국") == "KR"
    assert importer.find_country("Atlantis") is None
