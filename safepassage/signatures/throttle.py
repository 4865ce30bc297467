"""Counting submissions per client address, network, e-mail domain and petition.

Going over a limit never rejects a submission (a whole office may sign from
one address): the signature is stored but held for an organiser's review,
and so is its mail (outbox status "held"). Every key is a keyed hash (of
the address, of its /24 or /48 network, of the canonical e-mail domain)
prefixed with the petition's id.

Where the counts live is ``THROTTLE_STORE``:

- "cache" (the default once REDIS_URL is set): counted in the request, in
  the shared cache (``count_in_cache``), one INCR per key;
- "database" (the default without Redis): counted by the signing writer,
  in the same transaction as the batch's signatures, with one upsert per
  batch into ``LimitCounter`` (``count_in_database``). A per-process
  in-memory cache would hold 300 keys and forget an address after about a
  second of a flood, exactly when it matters, and no process would see the
  others' counts.
"""

from __future__ import annotations

import ipaddress
import time
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connection, connections

from safepassage.signatures.models import LimitCounter

# (scope, key) pairs one submission counts against.
LimitKeys = tuple[tuple[str, str], ...]

# Why a submission over each limit is held (stored in Signature.review_reason).
REASONS = {
    "ip": "many signatures from one address",
    "net": "many signatures from one network",
    "domain": "many signatures from one e-mail domain",
    "petition": "unusual signing rate",
}


def _hit(key: str) -> int:
    # One cache operation for every submission but the first in a window.
    try:
        return int(cache.incr(key))
    except ValueError:  # no counter yet in this window (or it just expired)
        if cache.add(key, 1, settings.THROTTLE_WINDOW_SECONDS):
            return 1
        return int(cache.incr(key))  # another request created it meanwhile


def count_in_window(name: str, seconds: int) -> int:
    """Count one event under ``name`` in the current ``seconds``-long window; the count so far.

    Used by signatures.botcheck to notice a surge of signatures.
    """
    return _hit(f"throttle:count:{name}:{seconds}:{int(time.time() // seconds)}")


def limits() -> dict[str, int]:
    """Submissions allowed per key and window, by scope (0: no limit of that kind)."""
    return {
        "ip": settings.THROTTLE_PER_IP,
        "net": settings.THROTTLE_PER_NETWORK,
        "domain": settings.THROTTLE_PER_DOMAIN,
        "petition": settings.THROTTLE_PER_PETITION,
    }


def network(ip: str) -> str:
    """The client's network: its /24 (IPv4) or /48 (IPv6), as text; "" if not an address.

    An IPv4 address mapped into IPv6 counts as IPv4. A /48 is what one IPv6
    customer (a home, an office, a rented server) is commonly given, so a
    bot cannot escape the limit by changing the low bits of its address.
    """
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def limit_keys(petition_id: int, ip_hash: str, network_hash: str, domain_hash: str) -> LimitKeys:
    """The keys one submission counts against (only those of limits that are on)."""
    allowed = limits()
    keys = [
        ("ip", ip_hash),
        ("net", network_hash),
        ("domain", domain_hash),
        ("petition", "-"),
    ]
    return tuple(
        (scope, f"{petition_id}:{digest}") for scope, digest in keys if digest and allowed[scope]
    )


def in_database() -> bool:
    """Whether the signing limits are counted by the writer in the database."""
    return str(settings.THROTTLE_STORE) == "database"


def count_in_cache(keys: LimitKeys, scope: str = "sign") -> str:
    """Count one submission in the cache; why it must be reviewed, or "" if within limits."""
    window = int(time.time() // settings.THROTTLE_WINDOW_SECONDS)
    allowed = limits()
    reasons = [
        REASONS[kind]
        for kind, key in keys
        if _hit(f"throttle:{scope}:{kind}:{key}:{window}") > allowed[kind]
    ]
    return "; ".join(reasons)


def review_reason(petition_id: int, ip_hash: str, scope: str = "sign") -> str:
    """Count a request by address and petition in the cache ("send me the link again")."""
    return count_in_cache(limit_keys(petition_id, ip_hash, "", ""), scope)


# Rows per upsert statement (four parameters each).
_CHUNK = 500


def count_in_database(batch: Sequence[LimitKeys]) -> list[str]:
    """Count a batch's submissions in ``LimitCounter``; per submission why it is held, or "".

    Inside the caller's transaction: one ``INSERT ... ON CONFLICT DO UPDATE
    ... RETURNING`` per 500 distinct keys adds the batch's hits and returns
    the new totals, from which each submission's place in its window
    follows (the batch's submissions counted in order, after every earlier
    batch). Rows go in sorted, so concurrent writers on PostgreSQL lock them
    in the same order and cannot deadlock.
    """
    added = Counter(key for keys in batch for key in keys)
    if not added:
        return [""] * len(batch)
    window = settings.THROTTLE_WINDOW_SECONDS
    start = int(time.time()) // window * window
    totals = _upsert(sorted(added.items()), start)
    allowed = limits()
    seen: Counter[tuple[str, str]] = Counter()
    reasons = []
    for keys in batch:
        over = []
        for key in keys:
            seen[key] += 1
            if totals[key] - added[key] + seen[key] > allowed[key[0]]:
                over.append(REASONS[key[0]])
        reasons.append("; ".join(over))
    return reasons


@lru_cache(maxsize=64)
def _statement(vendor: str, rows: int) -> str:
    """The upsert of ``rows`` counters, with the driver's own placeholders."""
    quote = connection.ops.quote_name
    table = quote(LimitCounter._meta.db_table)
    scope, key, window, hits = (quote(name) for name in ("scope", "key", "window_start", "hits"))
    mark = "?" if vendor == "sqlite" else "%s"
    row = f"({mark}, {mark}, {mark}, {mark})"
    # Only the model's own table and column names are formatted in; values are parameters.
    return (
        f"INSERT INTO {table} ({scope}, {key}, {window}, {hits}) "  # noqa: S608
        f"VALUES {', '.join([row] * rows)} "
        f"ON CONFLICT ({scope}, {key}, {window}) "
        f"DO UPDATE SET {hits} = {table}.{hits} + excluded.{hits} "
        f"RETURNING {scope}, {key}, {hits}"
    )


def _upsert(rows: list[tuple[tuple[str, str], int]], start: int) -> dict[tuple[str, str], int]:
    """Add the hits and return the totals, on the driver's connection (as lib.bulkinsert).

    Django's cursor would rewrite the placeholders of every statement: on the
    signing writer's path for every batch, that cost more than the upsert.
    """
    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.ensure_connection()
    totals: dict[tuple[str, str], int] = {}
    with wrapper.wrap_database_errors:
        cursor = wrapper.connection.cursor()
        try:
            for first in range(0, len(rows), _CHUNK):
                chunk = rows[first : first + _CHUNK]
                params: list[int | str] = []
                for (kind, digest), count in chunk:
                    params += [kind, digest, start, count]
                cursor.execute(_statement(wrapper.vendor, len(chunk)), params)
                for kind, digest, total in cursor.fetchall():
                    totals[(kind, digest)] = int(total)
        finally:
            cursor.close()
    return totals


_PRUNE_SLICE = 5000


def prune_counters(now: float | None = None) -> int:
    """Delete the counters of windows that have ended (housekeeping)."""
    window = settings.THROTTLE_WINDOW_SECONDS
    current = int(time.time() if now is None else now) // window * window
    ended = LimitCounter.objects.filter(window_start__lt=current)
    deleted = 0
    while True:
        # In slices, so that no one statement holds the database's write lock for long.
        ids = list(ended.values_list("pk", flat=True)[:_PRUNE_SLICE])
        if not ids:
            return deleted
        deleted += LimitCounter.objects.filter(pk__in=ids).delete()[0]
