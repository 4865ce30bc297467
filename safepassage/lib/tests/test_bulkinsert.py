"""lib.bulkinsert: many rows in one INSERT, with the model's defaults, on both databases."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from safepassage.lib import bulkinsert
from safepassage.outbox.models import Message
from safepassage.signatures.models import Signature

pytestmark = pytest.mark.django_db

AWKWARD = [
    'O"Brien \\ back\\slash',
    "Nguyễn Thị Minh Khai",
    "김정은 아님",
    "عبد الله",
    '{"json": [1, 2]}',
    "'; DROP TABLE signatures_signature; --",
    "",
]


def signer(petition: Any, n: int, **values: Any) -> dict[str, Any]:
    return {
        "petition_id": petition.pk,
        "first_name": "Ana",
        "last_name": "Example",
        "city": "Seoul",
        "country": "KR",
        "email_hash": f"{n:064x}",
        "language": "en",
        "publish_name": True,
        "contact": Signature.Contact.COUNT_ONLY,
        **values,
    }


def test_rows_get_the_values_given_and_the_models_defaults(petition):
    before = timezone.now()
    with transaction.atomic():
        ids = bulkinsert.insert(Signature, [signer(petition, n) for n in range(3)])
    rows = list(Signature.objects.filter(pk__in=[pk for (pk,) in ids]))
    assert len(rows) == 3
    # A callable default is called for every row, not once per statement.
    assert len({row.uuid for row in rows}) == 3
    assert {row.status for row in rows} == {Signature.Status.PENDING}
    assert all(before <= row.created_at <= timezone.now() for row in rows)
    assert {row.embed_partner_id for row in rows} == {None}
    assert {row.name_withheld for row in rows} == {False}


def test_text_arrives_exactly_as_given(petition):
    rows = [signer(petition, n, first_name=name, city=name) for n, name in enumerate(AWKWARD)]
    bulkinsert.insert(Signature, rows)
    stored = dict(Signature.objects.values_list("email_hash", "first_name"))
    assert [stored[f"{n:064x}"] for n in range(len(AWKWARD))] == AWKWARD


def test_a_given_time_is_kept(petition):
    when = dt.datetime(2026, 9, 24, 9, 30, 15, 123456, tzinfo=dt.UTC)
    bulkinsert.insert(
        Signature,
        [
            signer(
                petition, 1, status=Signature.Status.CONFIRMED, created_at=when, confirmed_at=when
            )
        ],
    )
    row = Signature.objects.get()
    assert row.created_at == when and row.confirmed_at == when


def test_on_conflict_returns_only_the_rows_inserted(petition):
    bulkinsert.insert(Signature, [signer(petition, 1)])
    returned = bulkinsert.insert(
        Signature,
        [signer(petition, 1), signer(petition, 2)],
        on_conflict="ON CONFLICT (petition_id, email_hash) DO NOTHING",
        returning=["petition_id", "email_hash"],
    )
    assert returned == [(petition.pk, f"{2:064x}")]
    assert Signature.objects.count() == 2


def test_more_rows_than_one_statement_takes(petition):
    # More than SQLite's 999 parameters / 24 columns; PostgreSQL has no such limit.
    count = (connection.features.max_query_params or 999) // 10 + 7
    with transaction.atomic():
        returned = bulkinsert.insert(
            Signature,
            [signer(petition, n) for n in range(count)],
            returning=["email_hash"],
        )
    assert sorted(returned) == [(f"{n:064x}",) for n in range(count)]
    assert Signature.objects.count() == count


def test_the_database_still_checks_its_constraints(petition):
    with pytest.raises(IntegrityError, match="signature_contact_valid"), transaction.atomic():
        bulkinsert.insert(Signature, [signer(petition, 1, contact="everyone")])
    assert Signature.objects.count() == 0


def test_nothing_to_insert_sends_nothing(petition):
    assert bulkinsert.insert(Message, []) == []
