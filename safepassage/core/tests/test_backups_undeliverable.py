"""Restoring a backup brings back no address a provider reported undeliverable (docs/operations.md).

The drill: three signers want updates; a backup is taken while an update to
each waits in the outbox; then the provider's signed webhooks report one
address as a hard bounce and another as a spam complaint; the old backup is
restored: both marks are back (by keyed hash only), the waiting updates to
those two are withheld and only the third person receives mail (real SMTP).
Runs on SQLite and on PostgreSQL (scripts/test).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from conftest import run_tasks
from safepassage.core.housekeeping import housekeeping
from safepassage.core.tests.test_backups import _backup, _require_pg_tools, _restore
from safepassage.outbox.models import Message, Undeliverable
from safepassage.signatures import erasurelog, undeliverablelog
from safepassage.signatures.models import Signature
from safepassage.signatures.services import hash_email
from safepassage.updates import services
from safepassage.updates.models import Update, UpdateText
from safepassage.updates.tests.helpers import signer
from safepassage.updates.tests.test_bounces import SECRET, SIGNING_KEY, mailgun_event, post_mailgun

STAYS = "keeps.reading@example.org"
BOUNCES = "Gone.Away@Example.org"
COMPLAINS = "calls.it.spam@example.org"


@pytest.fixture(autouse=True)
def _setup(settings, tmp_path):
    settings.REPEAT_MAIL_MINUTES = 0
    settings.UPDATE_MAIL_PER_MINUTE = 0
    settings.BACKUP_DIR = tmp_path / "backups"
    settings.ERASURE_LOG_PATH = tmp_path / "log" / "erasures.jsonl"
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": SIGNING_KEY, "WEBHOOK_SECRET": SECRET}
    cache.clear()


def _report_bounce_and_complaint() -> None:
    bounce = mailgun_event(
        BOUNCES,
        "failed",
        severity="permanent",
        reason="bounce",
        delivery_status={"code": 550, "message": "No such user"},
    )
    assert post_mailgun(bounce).status_code == 200
    assert post_mailgun(mailgun_event(COMPLAINS, "complained")).status_code == 200


def _marks() -> dict[str, str]:
    return dict(Undeliverable.objects.values_list("email_hash", "reason"))


EXPECTED = {hash_email(BOUNCES): "bounced", hash_email(COMPLAINS): "complained"}


@pytest.mark.django_db(transaction=True)
def test_the_drill_an_address_reported_undeliverable_after_the_backup_stays_so(
    petition, smtp_server
):
    _require_pg_tools()
    for address in (STAYS, BOUNCES, COMPLAINS):
        signer(petition, address, Signature.Contact.UPDATES)
    update = Update.objects.create(campaign=petition.campaign, audience=Update.Audience.UPDATES)
    UpdateText.objects.create(update=update, language="en", subject="News", body="Hello.")
    assert services.send(update, None) == 3
    services.queue(update.pk)  # into the outbox, not yet sent
    waiting = Message.objects.filter(kind=Message.Kind.UPDATE, status=Message.Status.QUEUED)
    assert waiting.count() == 3
    backup = _backup()  # taken before any report
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["undeliverable"] == 0

    _report_bounce_and_complaint()
    assert _marks() == EXPECTED
    housekeeping()  # the sweep writes the marks to the log outside the database
    log = Path(settings.ERASURE_LOG_PATH)
    text = log.read_text()
    assert "@" not in text and "gone.away" not in text.lower()
    logged = erasurelog.undeliverables(erasurelog.read(log))
    assert {(r.email_hash, r.reason, r.provider) for r in logged} == {
        (hash_email(BOUNCES), "bounced", "Mailgun"),
        (hash_email(COMPLAINS), "complained", "Mailgun"),
    }

    output = _restore(backup)

    assert "@" not in output
    assert "undeliverable addresses known: 2" in output
    assert "Replayed 2 undeliverable addresses: 2 marked again." in output
    assert _marks() == EXPECTED
    # The worker runs on the restored database: the waiting updates reach only the third.
    assert waiting.count() == 3  # restored as they were; the sender withholds two
    run_tasks()
    delivered = [str(m["To"]) for m in smtp_server.wait_for(1)]
    assert delivered == [STAYS]
    assert len(smtp_server.messages) == 1
    withheld = Message.objects.filter(kind=Message.Kind.UPDATE, status=Message.Status.WITHHELD)
    assert withheld.count() == 2
    assert set(withheld.values_list("last_error", flat=True)) == {"address undeliverable"}

    # Restoring the same old backup again, the log alone knowing: the same marks.
    output = _restore(backup)
    assert "Replayed 2 undeliverable addresses: 2 marked again." in output
    assert _marks() == EXPECTED
    # Replaying onto a database where they are in force changes nothing (idempotent).
    assert undeliverablelog.replay(erasurelog.undeliverables(erasurelog.read(log))) == 0
    assert _marks() == EXPECTED


@pytest.mark.django_db(transaction=True)
def test_a_backup_carries_the_marks_and_a_complaint_outweighs_a_bounce_on_replay(petition):
    _require_pg_tools()
    _report_bounce_and_complaint()
    backup = _backup()
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["undeliverable"] == 2
    records = erasurelog.undeliverables(erasurelog.read(backup / "erasures.jsonl"))
    assert {r.email_hash for r in records} == set(EXPECTED)
    assert "@" not in (backup / "erasures.jsonl").read_text()
    # The database knows the complainer only as bounced: the logged complaint wins.
    Undeliverable.objects.filter(email_hash=hash_email(COMPLAINS)).update(reason="bounced")
    Undeliverable.objects.filter(email_hash=hash_email(BOUNCES)).delete()
    assert undeliverablelog.replay(records) == 2
    assert _marks() == EXPECTED
    restored = Undeliverable.objects.get(email_hash=hash_email(BOUNCES))
    assert restored.provider == "Mailgun"
    assert restored.created_at == next(r.at for r in records if r.reason == "bounced")


def test_an_undeliverable_line_naming_an_address_or_an_unknown_reason_is_refused():
    line = {"kind": "undeliverable", "at": "2026-09-25T10:00:00+00:00", "provider": "Mailgun"}
    with pytest.raises(ValueError, match="line 1"):
        erasurelog.parse([json.dumps({**line, "email_hash": BOUNCES, "reason": "bounced"})])
    with pytest.raises(ValueError, match="line 1"):
        erasurelog.parse([json.dumps({**line, "email_hash": "ab" * 32, "reason": "deferred"})])
    (record,) = erasurelog.undeliverables(
        erasurelog.parse([json.dumps({**line, "email_hash": "ab" * 32, "reason": "bounced"})])
    )
    assert erasurelog.from_json(record.to_json()) == record
    # A bounce and a later complaint of the same address are two lines; both merge in.
    complaint = erasurelog.UndeliverableRecord("ab" * 32, "complained", record.at, "Postmark")
    assert erasurelog.merge([record], [complaint, record]) == [record, complaint]
