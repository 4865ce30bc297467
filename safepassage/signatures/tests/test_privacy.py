"""No e-mail address leaks: not in pages, not in logs, not at rest in plain text."""

from __future__ import annotations

import logging
import re

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client

from conftest import mail_text, run_tasks, sign_data
from safepassage.outbox.models import Message
from safepassage.signatures.models import Erasure, Signature

pytestmark = pytest.mark.django_db(transaction=True)

ADDRESSES = [
    "Priv.Person7q+petition@gmail.com",
    "contact-me-x4@example.org",
    "counted-z9@example.net",
]


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    needles = {a.lower() for a in ADDRESSES} | {"privperson7q@gmail.com", "priv.person7q"}
    needles |= {a.split("@")[0].lower() for a in ADDRESSES}
    return sorted(n for n in needles if n in lowered)


@pytest.fixture
def organiser(db):
    call_command(
        "ensure_organiser", username="organiser", credentials_file="/dev/null", stdout=None
    )
    user = User.objects.get(username="organiser")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def full_flow(petition, smtp_server, settings, caplog):
    """Sign three ways, sign again, ask for the mail again, confirm, send all mail."""
    cache.clear()
    caplog.set_level(logging.DEBUG)
    client = Client()
    url = petition.get_absolute_url()
    client.post(url, sign_data(email=ADDRESSES[0], contact="updates"))
    client.post(url, sign_data(email=ADDRESSES[1], contact="contact", publish_name="no"))
    client.post(url, sign_data(email=ADDRESSES[2], contact="count"))
    client.post(url, sign_data(email="privperson7q@googlemail.com"))
    client.post(url, sign_data(email="not an address"))
    client.post(f"{url}resend/", {"email": ADDRESSES[2]})
    run_tasks()
    for mail in smtp_server.wait_for(3):
        path = re.search(r"/s/[0-9a-f-]{36}/confirm/[0-9a-f]{40}/", mail_text(mail))
        if path:
            client.get(path.group(0))
            client.post(path.group(0))
    return client


def test_no_address_is_stored_in_plain_text_anywhere(full_flow):
    assert Signature.objects.filter(status="confirmed").count() == 3
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                found = leaks(" ".join(str(value) for value in row))
                assert not found, f"{table} holds {found}"


def test_no_address_reaches_a_log_record(full_flow, caplog):
    # "mail.log" is the test's own SMTP server (aiosmtpd), the mail's receiver.
    records = [r for r in caplog.get_records("setup") if not r.name.startswith("mail.log")]
    assert any("confirmed" in r.getMessage() for r in records), "the flow should have logged"
    for record in records:
        text = record.getMessage() + " " + str(record.args) + " " + str(record.exc_text or "")
        assert not leaks(text), record.getMessage()


def test_no_address_appears_on_any_page(full_flow, petition):
    client = full_flow
    pages = [petition.get_absolute_url(), f"{petition.get_absolute_url()}thanks/", "/", "/healthz"]
    pages.append(f"{petition.get_absolute_url()}count.json")
    for page in pages:
        assert not leaks(client.get(page).content.decode()), page


def test_no_address_appears_in_the_admin(full_flow, organiser):
    pages = ["/admin/signatures/signature/", "/admin/outbox/message/", "/admin/signatures/erasure/"]
    pages += [
        f"/admin/signatures/signature/{pk}/change/"
        for pk in Signature.objects.values_list("pk", flat=True)
    ]
    pages += [
        f"/admin/outbox/message/{pk}/change/" for pk in Message.objects.values_list("pk", flat=True)
    ]
    for page in pages:
        response = organiser.get(page)
        assert response.status_code == 200, page
        assert not leaks(response.content.decode()), page


def test_a_failed_commit_logs_no_address(petition, settings, caplog, monkeypatch):
    from safepassage.signatures import writer

    def broken(items):
        raise RuntimeError("disk full")

    monkeypatch.setattr(writer, "commit_batch", broken)
    caplog.set_level(logging.DEBUG)
    response = Client(raise_request_exception=False).post(
        petition.get_absolute_url(), sign_data(email=ADDRESSES[1])
    )
    assert response.status_code == 503
    assert "We could not store your signature" in response.content.decode()
    assert any("could not store a signature" in r.getMessage() for r in caplog.records)
    for record in caplog.records:
        assert not leaks(record.getMessage() + str(record.exc_text or ""))


def test_organisers_cannot_delete_signatures_without_a_tombstone(full_flow, organiser):
    signature = Signature.objects.first()
    assert signature is not None
    response = organiser.post(
        f"/admin/signatures/signature/{signature.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 403
    assert Signature.objects.filter(pk=signature.pk).exists()
    response = organiser.post(
        "/admin/signatures/signature/",
        {"action": "erase", "_selected_action": [signature.pk]},
    )
    assert response.status_code == 302
    assert not Signature.objects.filter(pk=signature.pk).exists()
    assert Erasure.objects.filter(email_hash=signature.email_hash, reason="organiser").exists()
