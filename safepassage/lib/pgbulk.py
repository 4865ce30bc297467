"""PostgreSQL: insert many rows with one statement of arrays, without model instances.

The signing writer inserts every signature and every confirmation mail
through here. Building a model instance per row and letting psycopg format
each value into the SQL text costs more CPU than the database spends on the
insert. Here the rows travel as one JSON parameter that PostgreSQL turns
into rows of the table's type (``json_populate_recordset``): one encoding
in C on each side, and a statement whose text is the same for any number of
rows, so the server can keep it prepared.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

import psycopg
from django.db import connection, models
from django.db.models import DateField, Field, Model
from django.utils import timezone
from psycopg.types.json import Json


@cache
def _fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


@cache
def _statement(model: type[Model], on_conflict: str, returning: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(field.column) for field in _fields(model))
    # Only the model's own table and column names are formatted in; the rows are a parameter.
    return (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM json_populate_recordset(NULL::{table}, %b) {on_conflict} "
        f"RETURNING {', '.join(quote(name) for name in returning)}"
    )


def _json_value(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date | uuid.UUID):
        return str(value)
    raise TypeError(f"{type(value).__name__} cannot be sent to json_populate_recordset")


def _dumps(rows: object) -> str:
    return json.dumps(rows, default=_json_value, ensure_ascii=False, separators=(",", ":"))


# Fields whose preparation passes a str, int, bool or None through unchanged.
_PLAIN_FIELDS = frozenset(
    {
        models.CharField,
        models.TextField,
        models.BooleanField,
        models.IntegerField,
        models.BigIntegerField,
        models.SmallIntegerField,
        models.PositiveIntegerField,
        models.PositiveSmallIntegerField,
        models.PositiveBigIntegerField,
        models.ForeignKey,
    }
)
_PLAIN_VALUES = frozenset({str, int, bool, type(None)})


def _prepare(field: Field[Any, Any], value: Any) -> Any:
    if type(value) in _PLAIN_VALUES and type(field) in _PLAIN_FIELDS:
        return value
    return field.get_db_prep_save(value, connection)


def _default(field: Field[Any, Any], now: object) -> Any:
    if isinstance(field, DateField) and (field.auto_now or field.auto_now_add):
        return now
    return field.get_default()  # a callable default is called for every row


def insert(
    model: type[Model],
    rows: Sequence[Mapping[str, Any]],
    *,
    on_conflict: str = "",
    returning: Sequence[str] = ("id",),
) -> list[tuple[Any, ...]]:
    """Insert ``rows`` (attribute name → value; the rest get their defaults).

    ``on_conflict`` is an ``ON CONFLICT ...`` clause written by the caller (no
    values in it); ``returning`` names the columns returned for each inserted
    row. Runs in the caller's transaction.
    """
    if not rows:
        return []
    fields = _fields(model)
    now = timezone.now()
    records = [
        {
            field.column: _prepare(
                field, row[field.attname] if field.attname in row else _default(field, now)
            )
            for field in fields
        }
        for row in rows
    ]
    sql = _statement(model, on_conflict, tuple(returning))
    connection.ensure_connection()
    # A cursor that binds parameters on the server (Django's binds them in the client).
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [Json(records, dumps=_dumps)])
        return cursor.fetchall()
