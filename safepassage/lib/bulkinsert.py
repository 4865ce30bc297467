"""Insert many rows with one statement, without model instances.

The signing writer inserts every signature and every confirmation mail
through here. Building a model instance per row and letting Django compile
an INSERT for every batch costs more CPU than the database spends on the
insert itself. Here the rows go in as plain values:

- PostgreSQL: the rows travel as one JSON parameter that the server turns
  into rows of the table's type (``json_populate_recordset``): one encoding
  in C on each side, and a statement whose text is the same for any number
  of rows, so the server can keep it prepared.
- SQLite: one ``INSERT ... VALUES (?, ...), (?, ...)`` per chunk of rows,
  straight on the sqlite3 connection, whose statement cache keeps the
  compiled statement for each row count.

Both support ``ON CONFLICT ... DO NOTHING`` and ``RETURNING``.
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Mapping, Sequence
from functools import cache, lru_cache
from typing import Any

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import DateField, Field, Model
from django.utils import timezone
from psycopg.types.json import Json


@cache
def _fields(model: type[Model]) -> tuple[Field[Any, Any], ...]:
    return tuple(f for f in model._meta.concrete_fields if not f.primary_key)


def _names(model: type[Model], returning: tuple[str, ...]) -> tuple[str, str, str]:
    quote = connection.ops.quote_name
    return (
        quote(model._meta.db_table),
        ", ".join(quote(field.column) for field in _fields(model)),
        ", ".join(quote(name) for name in returning),
    )


@cache
def _postgresql_statement(model: type[Model], on_conflict: str, returning: tuple[str, ...]) -> str:
    table, columns, returned = _names(model, returning)
    # Only the model's own table and column names are formatted in; the rows are a parameter.
    return (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT {columns} FROM json_populate_recordset(NULL::{table}, %b) {on_conflict} "
        f"RETURNING {returned}"
    )


@lru_cache(maxsize=256)
def _sqlite_statement(
    model: type[Model], on_conflict: str, returning: tuple[str, ...], count: int
) -> str:
    table, columns, returned = _names(model, returning)
    row = "(" + ", ".join("?" * len(_fields(model))) + ")"
    # As above: names formatted in, values bound as parameters.
    return (
        f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608
        f"{', '.join([row] * count)} {on_conflict} RETURNING {returned}"
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


def _prepare(field: Field[Any, Any], value: Any, wrapper: BaseDatabaseWrapper) -> Any:
    if type(value) in _PLAIN_VALUES and type(field) in _PLAIN_FIELDS:
        return value
    return field.get_db_prep_save(value, wrapper)


_PER_ROW = object()


def _default(field: Field[Any, Any], now: object) -> Any:
    """The value for rows that don't give one, or ``_PER_ROW`` for a callable default."""
    if isinstance(field, DateField) and (field.auto_now or field.auto_now_add):
        return now
    if field.has_default() and callable(field.default):
        return _PER_ROW
    return field.get_default()


def _values(
    model: type[Model], rows: Sequence[Mapping[str, Any]], wrapper: BaseDatabaseWrapper
) -> list[list[Any]]:
    """Each row's database values, in the order of ``_fields(model)``."""
    now = timezone.now()
    columns = []
    for field in _fields(model):
        default = _default(field, now)
        if default is not _PER_ROW:
            default = _prepare(field, default, wrapper)
        columns.append((field, field.attname, default))
    return [
        [
            _prepare(field, row[attname], wrapper)
            if attname in row
            else _prepare(field, field.get_default(), wrapper)  # a callable, called per row
            if default is _PER_ROW
            else default
            for field, attname, default in columns
        ]
        for row in rows
    ]


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
    row, as the database driver gives them, in no particular order. Runs in
    the caller's transaction.
    """
    if not rows:
        return []
    # The connection itself, not the per-thread proxy, for the many lookups below.
    wrapper = connections[DEFAULT_DB_ALIAS]
    values = _values(model, rows, wrapper)
    wrapper.ensure_connection()
    # Driver errors come out as Django's (IntegrityError and so on), as from the ORM.
    with wrapper.wrap_database_errors:
        if wrapper.vendor == "postgresql":
            return _insert_postgresql(wrapper, model, values, on_conflict, tuple(returning))
        if wrapper.vendor == "sqlite":
            return _insert_sqlite(wrapper, model, values, on_conflict, tuple(returning))
    raise NotImplementedError(f"bulk insert on {wrapper.vendor}")


def _insert_postgresql(
    wrapper: BaseDatabaseWrapper,
    model: type[Model],
    values: list[list[Any]],
    on_conflict: str,
    returning: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    columns = [field.column for field in _fields(model)]
    records = [dict(zip(columns, row, strict=True)) for row in values]
    sql = _postgresql_statement(model, on_conflict, returning)
    # A cursor that binds parameters on the server (Django's binds them in the client).
    with psycopg.Cursor(wrapper.connection) as cursor:
        cursor.execute(sql, [Json(records, dumps=_dumps)])
        return cursor.fetchall()


def _insert_sqlite(
    wrapper: BaseDatabaseWrapper,
    model: type[Model],
    values: list[list[Any]],
    on_conflict: str,
    returning: tuple[str, ...],
) -> list[tuple[Any, ...]]:
    limit = wrapper.features.max_query_params or 999  # SQLite's own default
    per_statement = max(1, limit // len(_fields(model)))
    returned: list[tuple[Any, ...]] = []
    # The sqlite3 connection itself: Django's cursor would rewrite every
    # statement's placeholders, and this one already has SQLite's own.
    cursor = wrapper.connection.cursor()
    try:
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            sql = _sqlite_statement(model, on_conflict, returning, len(chunk))
            cursor.execute(sql, [value for row in chunk for value in row])
            returned.extend(cursor.fetchall())
    finally:
        cursor.close()
    return returned
