"""Exports: who may take which, what they hold, formula-safe CSV, audit, streaming."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from typing import Any

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from personas import route
from safepassage.accounts.tests.world import World
from safepassage.exports import streams
from safepassage.exports.models import ExportLog
from safepassage.exports.tests.conftest import fake_hash, make_signature
from safepassage.signatures.models import PaperTally, Signature

ALL = ("signatures", "contacts", "paper", "events", "deliveries")


def url(world: World, kind: str, fmt: str = "csv") -> str:
    return reverse("exports:download", args=[world.campaign.slug, kind, fmt])


def body(response: Any) -> str:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")  # type: ignore[arg-type]


def rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body(response).removeprefix("\ufeff"))))


@pytest.fixture
def signed(world: World) -> dict[str, Signature]:
    """A counted signer, a contact, one pending and one held for review."""
    p = world.petition
    made = {
        "counted": make_signature(p, first_name="Counted", email_hash=fake_hash("a")),
        "contact": make_signature(
            p,
            first_name="Connie",
            last_name="Contact",
            contact=Signature.Contact.CONTACT,
            email="connie.contact@example.org",
            email_hash=fake_hash("b"),
            language="ko",
        ),
        "pending": make_signature(
            p,
            first_name="Pending",
            status=Signature.Status.PENDING,
            confirmed_at=None,
            contact=Signature.Contact.UPDATES,
            email="pending.person@example.org",
            email_hash=fake_hash("c"),
        ),
        "held": make_signature(
            p,
            first_name="Held",
            review_reason="throttled",
            contact=Signature.Contact.UPDATES,
            email="held.person@example.org",
            email_hash=fake_hash("d"),
        ),
        "paper": make_signature(
            p,
            first_name="Imported",
            source="paper: vigil",
            channel=Signature.Channel.PAPER,
            collected_by="Vigil volunteers of NK Freedom",
            sheet="3",
            email_hash=fake_hash("e"),
        ),
    }
    Signature.objects.bulk_create(made.values())
    return made


# --- who may take what -------------------------------------------------------


@pytest.mark.parametrize("kind", ALL)
def test_anonymous_visitors_are_sent_to_the_login(world: World, kind: str) -> None:
    response = world.clients["anonymous"].get(url(world, kind))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert not ExportLog.objects.exists()


@pytest.mark.parametrize("role", ["coordinator_a", "partner", "outsider"])
@pytest.mark.parametrize("kind", ["signatures", "contacts", "paper"])
def test_only_organisers_take_signatures_contacts_and_tallies(
    world: World, signed: Any, role: str, kind: str
) -> None:
    for fmt in ("csv", "json"):
        assert world.clients[role].get(url(world, kind, fmt)).status_code == 404
    assert not ExportLog.objects.exists()


def test_the_page_shows_each_person_only_their_exports(world: World) -> None:
    page = reverse("exports:index", args=[world.campaign.slug])
    organiser = world.clients["organiser"].get(page).content.decode()
    for kind in ALL:
        assert url(world, kind, "csv") in organiser
        assert url(world, kind, "json") in organiser
    assert reverse("exports:import", args=[world.campaign.slug]) in organiser
    coordinator = world.clients["coordinator_a"].get(page).content.decode()
    assert url(world, "events") in coordinator and url(world, "deliveries") in coordinator
    for kind in ("signatures", "contacts", "paper"):
        assert url(world, kind) not in coordinator
    assert "/import/" not in coordinator
    for role in ("partner", "outsider"):
        assert world.clients[role].get(page).status_code == 404
    assert world.clients["anonymous"].get(page).status_code == 302
    other = reverse("exports:index", args=[world.other_campaign.slug])
    assert world.clients["organiser"].get(other).status_code == 404


def test_a_coordinator_exports_only_their_events_and_deliveries(world: World) -> None:
    client = world.clients["coordinator_a"]
    events = rows(client.get(url(world, "events")))
    assert [e["title"] for e in events] == [world.event_a.title]
    deliveries = rows(client.get(url(world, "deliveries")))
    assert [d["mission"] for d in deliveries] == [world.embassy.name]
    log = ExportLog.objects.get(kind="deliveries")
    assert log.user == world.users["coordinator_a"] and log.rows == 1


def test_unknown_exports_and_formats_do_not_exist(world: World) -> None:
    client = world.clients["organiser"]
    assert client.get(url(world, "rsvps")).status_code == 404
    assert client.get(url(world, "signatures", "xlsx")).status_code == 404


def test_the_export_log_is_read_only_in_the_admin(world: World, signed: Any) -> None:
    body(world.clients["organiser"].get(url(world, "contacts")))
    log = ExportLog.objects.get()
    client = world.clients["organiser"]
    listing = client.get(reverse("admin:exports_exportlog_changelist"))
    assert listing.status_code == 200
    assert "Olga" in listing.content.decode() or "organiser-olga" in listing.content.decode()
    assert client.get(reverse("admin:exports_exportlog_add")).status_code == 403
    change = client.post(reverse("admin:exports_exportlog_change", args=[log.pk]), {"rows": 99})
    assert change.status_code in (200, 403)
    assert client.post(reverse("admin:exports_exportlog_delete", args=[log.pk])).status_code == 403
    log.refresh_from_db()
    assert log.rows == 1


# --- what they hold -----------------------------------------------------------


def test_the_signatures_export_holds_counted_signatures_without_addresses(
    world: World, signed: Any
) -> None:
    signature = signed["counted"]
    route(signature, world.embassy)
    response = world.clients["organiser"].get(url(world, "signatures"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    text = body(world.clients["organiser"].get(url(world, "signatures")))
    exported = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert sorted(r["first_name"] for r in exported) == ["Connie", "Counted", "Imported"]
    first = next(r for r in exported if r["first_name"] == "Counted")
    assert first["mission"] == world.embassy.name
    assert first["publish_name"] == "yes"
    assert first["country"] == "US" and first["region"] == "US-DC"
    imported = next(r for r in exported if r["first_name"] == "Imported")
    assert imported["source"] == "paper: vigil" and imported["channel"] == "paper"
    assert imported["collected_by"] == "Vigil volunteers of NK Freedom" and imported["sheet"] == "3"
    assert "@" not in text
    assert list(exported[0]) == list(streams.EXPORTS["signatures"].columns)


def test_the_contacts_export_decrypts_only_consenting_counted_signers(
    world: World, signed: Any
) -> None:
    exported = rows(world.clients["organiser"].get(url(world, "contacts")))
    assert exported == [
        {
            "first_name": "Connie",
            "last_name": "Contact",
            "email": "connie.contact@example.org",
            "contact": "contact",
            "language": "ko",
            "petition": world.petition.slug,
        }
    ]


def test_every_contacts_export_is_audited_and_no_address_is_logged(
    world: World, signed: Any, caplog: Any
) -> None:
    caplog.set_level("DEBUG")
    client = world.clients["organiser"]
    body(client.get(url(world, "contacts", "csv")))
    body(client.get(url(world, "contacts", "json")))
    logs = list(ExportLog.objects.order_by("pk"))
    assert [(log.kind, log.format, log.rows) for log in logs] == [
        ("contacts", "csv", 1),
        ("contacts", "json", 1),
    ]
    assert all(log.user == world.users["organiser"] and log.finished_at for log in logs)
    assert all(log.campaign == world.campaign for log in logs)
    assert "@" not in caplog.text


def test_an_aborted_download_is_audited_before_the_first_byte(world: World, signed: Any) -> None:
    response = world.clients["organiser"].get(url(world, "contacts"))
    log = ExportLog.objects.get()
    assert log.rows == 1 and log.finished_at is None
    response.close()


def test_json_exports_hold_typed_values(world: World, signed: Any) -> None:
    response = world.clients["organiser"].get(url(world, "signatures", "json"))
    assert response["Content-Type"].startswith("application/json")
    data = json.loads(body(response))
    assert {item["first_name"] for item in data} == {"Connie", "Counted", "Imported"}
    assert data[0]["publish_name"] is True
    assert data[0]["confirmed_at"].endswith("+00:00")
    assert json.loads(body(world.clients["organiser"].get(url(world, "contacts", "json"))))[0][
        "email"
    ] == ("connie.contact@example.org")


def test_the_events_export_counts_confirmed_rsvps_without_names(world: World) -> None:
    text = body(world.clients["organiser"].get(url(world, "events")))
    exported = {row["title"]: row for row in csv.DictReader(io.StringIO(text[1:]))}
    assert exported[world.event_a.title]["confirmed_rsvps"] == "1"
    assert exported[world.event_a.title]["confirmed_people"] == "2"
    assert exported[world.event_b.title]["confirmed_people"] == "3"
    assert "Attendee" not in text and "Pending" not in text and "@" not in text
    # An address shown only to confirmed RSVPs is not a public field.
    assert world.event_b.address not in text


def test_the_deliveries_export(world: World) -> None:
    world.delivery_w.packet_sha256 = "ab" * 32
    world.delivery_w.save()
    exported = {
        r["mission"]: r for r in rows(world.clients["organiser"].get(url(world, "deliveries")))
    }
    washington = exported[world.embassy.name]
    assert washington["status"] == "in_person"
    assert washington["received_by"] == "Duty officer"
    assert washington["packet_sha256"] == "ab" * 32
    assert washington["delivered_at"].startswith(f"{world.campaign.year}-09-24T14:00")
    assert exported[world.consulate.name]["delivered_at"] == ""


def test_the_paper_tally_export(world: World) -> None:
    PaperTally.objects.create(
        petition=world.petition, source="paper: vigil", country="US", city="Boston", count=12
    )
    exported = rows(world.clients["organiser"].get(url(world, "paper")))
    assert [(r["city"], r["count"], r["source"]) for r in exported] == [
        ("Boston", "12", "paper: vigil")
    ]


# --- formulas -----------------------------------------------------------------

FORMULAS = ['=HYPERLINK("http://evil.example","click")', "+1+1", "@SUM(A1)", "-2+3", "\tx", "\rx"]


@pytest.mark.parametrize("formula", FORMULAS)
def test_no_cell_of_any_csv_export_runs_as_a_formula(world: World, formula: str) -> None:
    Signature.objects.bulk_create(
        [
            make_signature(
                world.petition,
                first_name=formula,
                last_name=formula,
                city=formula,
                source=formula,
                channel=Signature.Channel.PAPER,
                collected_by=formula,
                sheet=formula,
                contact=Signature.Contact.UPDATES,
                email="formula.person@example.org",
                email_hash=fake_hash(formula),
            )
        ]
    )
    world.event_a.title = formula
    world.event_a.venue = formula
    world.event_a.save()
    world.delivery_w.received_by = formula
    world.delivery_w.save()
    PaperTally.objects.create(petition=world.petition, source=formula, country="US", count=1)
    client = world.clients["organiser"]
    for kind in ALL:
        text = body(client.get(url(world, kind)))
        cells = [cell for row in csv.reader(io.StringIO(text[1:])) for cell in row]
        assert "'" + formula in cells, kind
        assert formula not in cells, kind
        assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells), kind
    # JSON is not a spreadsheet: the value goes out as it is.
    data = json.loads(body(client.get(url(world, "signatures", "json"))))
    assert data[0]["first_name"] == formula


# --- streaming ----------------------------------------------------------------


@pytest.mark.slow  # twenty thousand rows written, then exported
def test_a_large_export_is_streamed_in_batches_with_bounded_memory(
    world: World, monkeypatch: Any
) -> None:
    total = 20_000
    Signature.objects.bulk_create(
        (
            make_signature(
                world.petition,
                first_name=f"Signer-{i:05d}",
                last_name="Lastname-with-some-length",
                city="Washington",
                email_hash=fake_hash(f"bulk-{i}"),
                source="paper: a long name of the vigil where this list was collected",
                channel=Signature.Channel.IMPORT,
            )
            for i in range(total)
        ),
        batch_size=2000,
    )
    monkeypatch.setattr(streams, "BATCH_SIZE", 250)
    response = world.clients["organiser"].get(url(world, "signatures"))
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert not response.has_header("Content-Length")

    content = iter(response.streaming_content)
    first = next(content)  # the first batch: query compiled, caches warm
    size, lines, chunks = len(first), first.count(b"\n"), 1
    tracemalloc.start()
    try:
        with CaptureQueriesContext(connection) as queries:
            for chunk in content:
                size += len(chunk)
                lines += chunk.count(b"\n")
                chunks += 1
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert lines == total + 1
    assert chunks > 10
    # One query per batch of 250 (and the audit update), not one for everything.
    assert len(queries) >= total // 250
    # The file is several MB; streaming it holds one batch at a time, a small
    # part of the file and far less than loading the rows at once would.
    tracemalloc.start()
    try:
        everything = list(
            Signature.objects.values_list(*streams.EXPORTS["signatures"].fields).order_by("pk")
        )
        _current, loaded_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(everything) == total
    assert size > 2_000_000
    assert peak < size / 4, (peak, size)
    assert peak < loaded_peak / 10, (peak, loaded_peak)
    assert ExportLog.objects.get().rows == total
