"""Restoring a backup undoes no unsubscribe and no cancelled RSVP (docs/operations.md).

The drill: a signer, an RSVP-er and a coordinator get updates, and a second
RSVP-er too; a backup is taken while updates to them wait in the outbox;
the first three unsubscribe, the second RSVP-er cancels; the old backup is
restored: their consent stays withdrawn, their addresses erased, the
cancelled RSVP cancelled, the waiting updates withheld, and only the person
who stayed subscribed receives mail (real SMTP). Runs on SQLite and on
PostgreSQL (scripts/test).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from conftest import run_tasks
from personas import coordinator_of
from safepassage.core.housekeeping import housekeeping
from safepassage.core.tests.test_backups import _backup, _require_pg_tools, _restore
from safepassage.events import cancellog
from safepassage.events import services as events
from safepassage.events.models import RSVP, Event
from safepassage.lib import crypto
from safepassage.outbox.models import Message
from safepassage.signatures import erasurelog
from safepassage.signatures.models import Signature
from safepassage.signatures.services import hash_email
from safepassage.updates import audience, services, unsubscribelog
from safepassage.updates.models import Unsubscribe, Update, UpdateText
from safepassage.updates.tests.helpers import signer

STAYS = "stays.subscribed@example.org"
LEAVES = "unsubscribes@example.org"
COMING = "coming.to.vigil@example.org"
CANCELS = "cancels.rsvp@example.org"


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.REPEAT_MAIL_MINUTES = 0
    settings.UPDATE_MAIL_PER_MINUTE = 0
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.ERASURE_LOG_PATH = tmp_path / "log" / "erasures.jsonl"
    cache.clear()


def _update(campaign, audience_: str, event=None) -> Update:
    update = Update.objects.create(campaign=campaign, audience=audience_, event=event)
    UpdateText.objects.create(update=update, language="en", subject="News", body="Hello.")
    assert services.send(update, None) >= 1
    services.queue(update.pk)  # into the outbox, not yet sent
    return update


def _rsvp(event, email: str) -> RSVP:
    return RSVP.objects.create(
        event=event,
        name="Someone",
        email_hash=hash_email(email),
        email_encrypted=crypto.encrypt(email),
        contact_ok=True,
        consent_version="x",
        status=RSVP.Status.CONFIRMED,
    )


def _people(petition):
    campaign = petition.campaign
    event = Event.objects.create(
        campaign=campaign,
        kind="vigil",
        title="Vigil",
        city="Washington",
        country="US",
        starts_at=timezone.now(),
        time_zone="America/New_York",
    )
    rsvp = _rsvp(event, COMING)
    stays = signer(petition, STAYS, Signature.Contact.UPDATES)
    leaves = signer(petition, LEAVES, Signature.Contact.CONTACT)
    cora = coordinator_of(campaign, "cora-unsub", "US", "Washington")
    return event, rsvp, stays, leaves, cora


def _unsubscribe_all(campaign, rsvp: RSVP, leaves: Signature, cora) -> None:
    assert services.unsubscribe("signature", str(leaves.uuid), "one-click")
    assert services.unsubscribe("rsvp", str(rsvp.uuid), "page")
    assert services.unsubscribe(
        "coordinator", services.coordinator_ref(cora.pk, campaign.pk), "page"
    )


def _assert_withdrawn(campaign, event, rsvp: RSVP, leaves: Signature, cora) -> None:
    leaves.refresh_from_db()
    assert (leaves.contact, leaves.email_encrypted) == (Signature.Contact.COUNT_ONLY, "")
    assert leaves.status == Signature.Status.CONFIRMED  # still counted
    rsvp.refresh_from_db()
    assert (rsvp.contact_ok, rsvp.email_encrypted) == (False, "")
    assert rsvp.status == RSVP.Status.CONFIRMED  # still coming
    for message in Message.objects.filter(kind=Message.Kind.UPDATE).exclude(
        status=Message.Status.WITHHELD
    ):
        assert message.signature_id != leaves.pk and message.rsvp_id != rsvp.pk
    # The next updates leave them out.
    assert [s.pk for s in audience.signatures(Update(campaign=campaign))] != []
    assert leaves.pk not in {s.pk for s in audience.signatures(Update(campaign=campaign))}
    assert not audience.rsvps(Update(campaign=campaign, audience="rsvps", event=event)).exists()
    coordinators = audience.coordinators(Update(campaign=campaign, audience="coordinators"))
    assert cora.pk not in {user.pk for user in coordinators}
    assert Unsubscribe.objects.filter(campaign=campaign).count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_drill_who_unsubscribed_after_the_backup_stays_unsubscribed_after_restoring_it(
    petition, smtp_server
):
    _require_pg_tools()
    campaign = petition.campaign
    event, rsvp, stays, leaves, cora = _people(petition)
    cancels = _rsvp(event, CANCELS)
    _update(campaign, Update.Audience.UPDATES)
    _update(campaign, Update.Audience.RSVPS, event)
    _update(campaign, Update.Audience.COORDINATORS)
    waiting = Message.objects.filter(kind=Message.Kind.UPDATE, status=Message.Status.QUEUED)
    assert waiting.filter(signature=leaves).exists() and waiting.filter(rsvp=rsvp).exists()
    assert waiting.filter(rsvp=cancels).exists()
    backup = _backup()  # taken while they are still subscribed, their updates still waiting

    _unsubscribe_all(campaign, rsvp, leaves, cora)
    assert events.cancel(cancels)
    housekeeping()  # the sweep writes the unsubscribes to the log outside the database
    log_text = Path(settings.ERASURE_LOG_PATH).read_text()
    assert "@" not in log_text
    logged = erasurelog.unsubscribes(erasurelog.read(Path(settings.ERASURE_LOG_PATH)))
    (cancelled,) = erasurelog.cancellations(erasurelog.read(Path(settings.ERASURE_LOG_PATH)))
    assert cancelled.ref == str(cancels.uuid)
    assert sorted((r.target, r.ref) for r in logged) == sorted(
        [
            ("signature", str(leaves.uuid)),
            ("rsvp", str(rsvp.uuid)),
            ("coordinator", hash_email(cora.email)),
        ]
    )

    output = _restore(backup)

    assert "@" not in output
    assert "Replayed 3 unsubscribes: 3 re-applied." in output
    assert "Replayed 1 cancelled RSVPs: 1 cancelled again." in output
    _assert_withdrawn(campaign, event, rsvp, leaves, cora)
    _assert_cancelled(cancels)
    stays.refresh_from_db()
    assert stays.contact == Signature.Contact.UPDATES and stays.email_encrypted
    # The worker runs on the restored database: the waiting updates reach only whoever stayed.
    expected = Message.objects.filter(
        kind=Message.Kind.UPDATE, status=Message.Status.QUEUED
    ).count()
    run_tasks()
    delivered = {str(m["To"]) for m in smtp_server.wait_for(expected)}
    assert STAYS in delivered and len(smtp_server.messages) == expected
    assert not delivered & {LEAVES, COMING, CANCELS, cora.email}

    # Restoring the same old backup again, with the log alone knowing: the same result.
    output = _restore(backup)
    assert "Replayed 3 unsubscribes: 3 re-applied." in output
    assert "Replayed 1 cancelled RSVPs: 1 cancelled again." in output
    _assert_withdrawn(campaign, event, rsvp, leaves, cora)
    _assert_cancelled(cancels)
    # Replaying onto a database where they are in force changes nothing (idempotent).
    records = erasurelog.read(Path(settings.ERASURE_LOG_PATH))
    assert unsubscribelog.replay(erasurelog.unsubscribes(records)) == 0
    assert cancellog.replay(erasurelog.cancellations(records)) == 0
    _assert_withdrawn(campaign, event, rsvp, leaves, cora)
    _assert_cancelled(cancels)


def _assert_cancelled(rsvp: RSVP) -> None:
    rsvp.refresh_from_db()
    assert (rsvp.status, rsvp.contact_ok, rsvp.email_encrypted) == ("cancelled", False, "")
    assert not Message.objects.filter(rsvp=rsvp, status__in=Message.PENDING_STATUSES).exists()


@pytest.mark.django_db
def test_a_cancelled_rsvp_opened_again_since_is_not_cancelled_by_the_replay(petition):
    campaign = petition.campaign
    _event, rsvp, _stays, _leaves, _cora = _people(petition)
    assert events.cancel(rsvp)
    (record,) = [r for r in cancellog.database_records() if r.ref == str(rsvp.uuid)]
    assert record.campaign_id == campaign.pk
    # The same person answers again: the same row, made anew, with a new consent.
    RSVP.objects.filter(pk=rsvp.pk).update(
        status=RSVP.Status.CONFIRMED,
        contact_ok=True,
        email_encrypted=crypto.encrypt(COMING),
        created_at=timezone.now(),
    )
    assert cancellog.replay([record]) == 0
    rsvp.refresh_from_db()
    assert (rsvp.status, rsvp.contact_ok) == (RSVP.Status.CONFIRMED, True)
    # Cancelled again: another record (another time), which the replay applies.
    assert events.cancel(rsvp)
    records = [r for r in cancellog.database_records() if r.ref == str(rsvp.uuid)]
    assert erasurelog.merge([record], records) == sorted([record, *records], key=lambda r: r.order)
    RSVP.objects.filter(pk=rsvp.pk).update(status=RSVP.Status.CONFIRMED, contact_ok=True)
    assert cancellog.replay(records) == 1
    _assert_cancelled(rsvp)


@pytest.mark.django_db(transaction=True)
def test_a_backup_carries_the_unsubscribes_and_older_logs_still_read(petition):
    _require_pg_tools()
    campaign = petition.campaign
    _event, rsvp, _stays, leaves, cora = _people(petition)
    _unsubscribe_all(campaign, rsvp, leaves, cora)
    # A log written before unsubscribes were logged: erasure lines without a kind.
    old = {"petition": petition.pk, "email_hash": "a" * 64, "reason": "withdrawn"}
    old["erased_at"] = "2026-09-01T10:00:00+00:00"
    log = Path(settings.ERASURE_LOG_PATH)
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps(old, sort_keys=True) + "\n")

    backup = _backup()

    manifest = json.loads((backup / "manifest.json").read_text())
    assert (manifest["erasures"], manifest["unsubscribes"], manifest["cancels"]) == (1, 3, 0)
    records = erasurelog.read(backup / "erasures.jsonl")
    assert len(erasurelog.erasures(records)) == 1
    assert {r.target for r in erasurelog.unsubscribes(records)} == {
        "signature",
        "rsvp",
        "coordinator",
    }
    text = (backup / "erasures.jsonl").read_text()
    assert "@" not in text and LEAVES not in text
    # The old line is still the same bytes: the format only grew.
    assert text.splitlines()[0] == json.dumps(old, sort_keys=True)
    # The signatures app's own replay command leaves the unsubscribes to restore.
    out = io.StringIO()
    call_command("replay_erasures", str(backup / "erasures.jsonl"), stdout=out)
    assert "1 erasures replayed" in out.getvalue()
    assert "3 cancelled RSVPs, unsubscribes and undeliverable addresses left" in out.getvalue()


def test_a_log_line_naming_an_address_or_an_unknown_kind_is_refused():
    line = {"kind": "unsubscribe", "target": "signature", "campaign": 1, "via": "page"}
    line["at"] = "2026-09-01T10:00:00+00:00"
    with pytest.raises(ValueError, match="line 1"):
        erasurelog.parse([json.dumps({**line, "ref": LEAVES})])
    with pytest.raises(ValueError, match="line 1"):
        erasurelog.parse([json.dumps({**line, "ref": "x", "target": "letter"})])
    with pytest.raises(ValueError, match="line 1"):
        erasurelog.parse([json.dumps({**line, "ref": "x", "kind": "forget"})])
    (record,) = erasurelog.parse([json.dumps({**line, "ref": "x"})])
    assert erasurelog.from_json(record.to_json()) == record
