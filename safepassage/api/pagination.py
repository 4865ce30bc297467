"""Limit/offset pages with the total, for every list of the API.

A list view returns a ``Listing``: the rows (a queryset or a list) and a
function that turns one page of rows into output items, so that what each
item needs (counts, related rows) is loaded once per page, not per item.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
# Far beyond any real list, and within every database's integer range.
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True)
class Listing:
    rows: QuerySet[Any] | Sequence[Any]
    build: Callable[[list[Any]], list[Any]] = list


class Page(PaginationBase):
    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page.")
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Items to skip.")

    class Output(Schema):
        items: list[Any]
        count: int = Field(description="Items in the whole list, over all pages.")
        limit: int
        offset: int

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        listing = queryset if isinstance(queryset, Listing) else Listing(queryset)
        offset, limit = pagination.offset, pagination.limit
        rows = listing.rows
        count = rows.count() if isinstance(rows, QuerySet) else len(rows)
        page = list(rows[offset : offset + limit]) if offset < count else []
        return {"items": listing.build(page), "count": count, "limit": limit, "offset": offset}
