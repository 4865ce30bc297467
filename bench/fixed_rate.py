"""A constant-rate HTTP/1.1 load client for latency at a fixed arrival rate.

wrk is a closed-loop generator: each connection sends its next request only
when the previous answer has arrived, so when the server slows down the
generator slows down with it and the slow moments are under-sampled
("coordinated omission"). Real signers arrive whenever they like. This client
instead schedules request ``i`` at ``start + i / rate`` and measures each
latency from that scheduled time, so time spent waiting for a free
connection or for a late event loop counts against the server, as it would
for a person.

It uses raw asyncio streams on keep-alive connections and nothing outside the
standard library, so it adds no dependency to the project.
"""

from __future__ import annotations

import asyncio
import math
import resource
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

# Gunicorn closes a keep-alive connection after 2 s of silence (its default
# --keep-alive). A connection idle for longer than this is reopened before use
# rather than risk writing a request into a socket the server is closing.
MAX_IDLE_SECONDS = 1.0


@dataclass
class FixedRateResult:
    """What happened to every scheduled request of one fixed-rate run."""

    rate: float
    seconds: float
    scheduled: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    unfinished: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    max_start_lag: float = 0.0

    def count(self, status: int) -> int:
        return self.statuses[status]

    def percentile(self, fraction: float) -> float:
        """Latency (s) at ``fraction`` (0..1) of completed requests, nearest rank."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
        return ordered[rank]

    @property
    def achieved_rate(self) -> float:
        done = sum(self.statuses.values())
        return done / self.wall_seconds if self.wall_seconds else 0.0


class _Connection:
    """One keep-alive HTTP/1.1 connection, opened lazily and reopened when stale."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def ensure_open(self) -> None:
        stale = time.monotonic() - self.last_used > MAX_IDLE_SECONDS
        if self.writer is not None and not stale:
            return
        self.close()
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.last_used = time.monotonic()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def exchange(self, request: bytes) -> int:
        """Send one request and read its whole response; return the status code."""
        await self.ensure_open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            await self._skip_chunked()
        else:
            await self.reader.readexactly(int(headers.get("content-length", "0")))
        self.last_used = time.monotonic()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status

    async def _skip_chunked(self) -> None:
        assert self.reader is not None
        while True:
            size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await self.reader.readexactly(size + 2)
            if size == 0:
                return


async def _run(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    rate: float,
    seconds: float,
    connections: int,
    timeout: float,
    result: FixedRateResult,
) -> None:
    pool: asyncio.LifoQueue[_Connection] = asyncio.LifoQueue()
    for _ in range(connections):
        pool.put_nowait(_Connection(host, port))

    async def one(index: int, scheduled: float) -> None:
        connection = await pool.get()
        try:
            status = await connection.exchange(make_request(index))
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            connection.close()
            result.errors[type(exc).__name__] += 1
            return
        finally:
            pool.put_nowait(connection)
        result.statuses[status] += 1
        result.latencies.append(time.monotonic() - scheduled)

    total = round(rate * seconds)
    result.scheduled = total
    tasks: list[asyncio.Task[None]] = []
    start = time.monotonic() + 0.05
    for index in range(total):
        scheduled = start + index / rate
        pause = scheduled - time.monotonic()
        if pause > 0:
            await asyncio.sleep(pause)
        else:
            result.max_start_lag = max(result.max_start_lag, -pause)
        tasks.append(asyncio.create_task(one(index, scheduled)))
    _, pending = await asyncio.wait(tasks, timeout=timeout)
    result.unfinished = len(pending)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=5)
    result.wall_seconds = time.monotonic() - start
    while not pool.empty():
        pool.get_nowait().close()


def run(
    host: str,
    port: int,
    make_request: Callable[[int], bytes],
    rate: float,
    seconds: float,
    connections: int = 64,
    timeout: float = 30.0,
) -> FixedRateResult:
    """Send ``rate * seconds`` requests at a constant rate; bounded by ``seconds + timeout``.

    ``make_request(i)`` returns the complete bytes of request ``i``. The CPU
    time of this process during the run is recorded so the reader can see
    what the load generator itself cost on a shared machine.
    """
    result = FixedRateResult(rate=rate, seconds=seconds)
    before = resource.getrusage(resource.RUSAGE_SELF)
    asyncio.run(_run(host, port, make_request, rate, seconds, connections, timeout, result))
    after = resource.getrusage(resource.RUSAGE_SELF)
    result.cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result
