"""Mail gives way to signers while a surge of signatures lasts.

The worker lowers its nice value, but Linux shares the CPU between sessions
(autogroups) and between systemd services (cgroups) before it looks at nice
values inside them: a worker started as a service of its own took 0.3 to
0.5 of two cores from the web server in the middle of a surge, even at
nice 19 or under the idle scheduling policy. So the sender slows itself
down. Every submission queues one message, so the rate at which messages are
queued is the signing rate: while it is above ``MAIL_SURGE_RATE`` a second,
the sender pauses after each message for nine times the CPU time that
message took, using at most a tenth of a core, and it sends at full speed
again once the surge is over. Nothing is dropped: a surge delays
confirmation mail, it does not lose any.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db.models import Count, Max

from safepassage.outbox.models import Message

# The share of one core the sender keeps during a surge.
SURGE_SHARE = 0.1
# How often the queueing rate is measured (one query on a range of the primary key).
SAMPLE_SECONDS = 0.5


class Pace:
    """Measures how fast mail is queued and pauses the sender while that is a surge."""

    def __init__(
        self,
        rate: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        cpu: Callable[[], float] = time.thread_time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.clock, self.cpu, self.sleep = clock, cpu, sleep
        self._sample: tuple[float, int] | None = None
        self._surging = False

    def limit(self) -> int:
        return settings.MAIL_SURGE_RATE if self.rate is None else self.rate

    def surging(self) -> bool:
        """Whether more than ``limit()`` messages a second were queued since the last sample."""
        now = self.clock()
        if self._sample is not None and now - self._sample[0] < SAMPLE_SECONDS:
            return self._surging
        if self._sample is None:
            newest = Message.objects.aggregate(newest=Max("pk"))["newest"] or 0
        else:
            then, newest = self._sample
            # The messages since the last sample: a range of the primary key.
            since = Message.objects.filter(pk__gt=newest).aggregate(
                count=Count("pk"), newest=Max("pk")
            )
            self._surging = since["count"] / (now - then) > self.limit()
            newest = since["newest"] or newest
        self._sample = (now, newest)
        return self._surging

    def after_message(self, mark: float) -> float:
        """Pause in proportion to the CPU used since ``mark`` during a surge; the next mark.

        The sender takes its first mark from ``cpu()`` and passes each
        returned mark to the next call.
        """
        used = self.cpu() - mark
        if self.limit() and self.surging():
            self.sleep(used * (1 / SURGE_SHARE - 1))
        return self.cpu()


# One per process, shared by its tasks: the rate is the host's (or the database's).
pace = Pace()
