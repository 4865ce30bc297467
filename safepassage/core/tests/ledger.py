"""Signing through a load balancer with a ledger, and the reconciliation afterwards.

Used by ``test_several_hosts.py`` and ``bench/scale``. Every signer has a unique
address and a unique last name (stored in clear, so the database can be read
without the application's keys). A signature is *acknowledged* when the server
answered the POST with the redirect to the thanks page: only then has it
promised anything. The reconciliation compares the ledger with the rows in
PostgreSQL and the mails the SMTP sink received:

- lost: acknowledged, but no row (must be 0);
- duplicates: a signer with more than one row (must be 0);
- mails: every stored signature got its confirmation mail exactly once, and no
  mail went to anybody else.

A submission in flight when its host was killed got no answer (or HAProxy's
502); it may or may not have been stored, and is counted apart.
"""

from __future__ import annotations

import http.client
import re
import string
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

HIDDEN = re.compile(r"<input\b[^>]*\btype=\"hidden\"[^>]*>")
ATTRIBUTE = re.compile(r'\b(name|value)="([^"]*)"')


def last_name(run: str, number: int) -> str:
    """A last name of letters only, unique per run and number (the ledger's key in the database)."""
    letters, digits = string.ascii_lowercase, []
    while True:
        number, rest = divmod(number, 26)
        digits.append(letters[rest])
        if number == 0:
            break
    return f"Ledger{run}{''.join(reversed(digits))}".capitalize()


def email_of(run: str, number: int) -> str:
    return f"signer-{run}-{number}@scale.example"


@dataclass
class Ledger:
    run: str
    acknowledged: set[int] = field(default_factory=set)
    unanswered: set[int] = field(default_factory=set)  # no answer, or the proxy's 5xx
    refused: Counter[int] = field(default_factory=Counter)  # other statuses, by status
    statuses: Counter[int] = field(default_factory=Counter)  # every answer, by status (0: none)
    started: float = 0.0
    finished: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def sent(self) -> int:
        return len(self.acknowledged) + len(self.unanswered) + sum(self.refused.values())

    @property
    def seconds(self) -> float:
        return max(self.finished - self.started, 1e-9)


class Signer:
    """One browser: loads the signing page once, then submits the form for many people."""

    def __init__(self, port: int, path: str, origin: str) -> None:
        self.port, self.path, self.origin = port, path, origin
        self.connection: http.client.HTTPConnection | None = None
        self.fields: dict[str, str] = {}
        self.cookie = ""

    def _request(self, method: str, body: str | None = None) -> http.client.HTTPResponse:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Host": urllib.parse.urlsplit(self.origin).netloc}
        if body is not None:
            headers |= {
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.origin,
                "Referer": self.origin + self.path,
            }
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            self.connection.request(method, self.path, body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response

    def load_form(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request(
                "GET", self.path, headers={"Host": urllib.parse.urlsplit(self.origin).netloc}
            )
            response = connection.getresponse()
            html = response.read().decode()
        finally:
            connection.close()
        if response.status != 200:
            raise RuntimeError(f"GET {self.path} answered {response.status}")
        cookies = [c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or []]
        self.cookie = "; ".join(cookies)
        self.fields = {}
        for tag in HIDDEN.findall(html[html.find('method="post"') :]):
            attributes = dict(ATTRIBUTE.findall(tag))
            if "name" in attributes:
                self.fields.setdefault(attributes["name"], attributes.get("value", ""))

    def sign(self, run: str, number: int) -> int:
        """Submit one signer; the HTTP status (302: to the thanks page), 0 when no answer came."""
        form = {
            **self.fields,
            "first_name": "Ji-woo",
            "last_name": last_name(run, number),
            "email": email_of(run, number),
            "city": "Seoul",
            "country": "KR",
            "region": "KR-11",
            "contact": "count",
            "publish_name": "yes",
        }
        try:
            response = self._request("POST", urllib.parse.urlencode(form))
        except (OSError, http.client.HTTPException):
            return 0
        if response.status == 302 and not response.getheader("Location", "").endswith("/thanks/"):
            return 303  # redirected elsewhere: not an acknowledgement
        return response.status

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def sign_all(
    port: int,
    path: str,
    origin: str,
    ledger: Ledger,
    numbers: Iterable[int],
    clients: int,
    on_progress: Callable[[int], None] | None = None,
) -> None:
    """Submit every number's signer through ``clients`` concurrent browsers, into the ledger.

    ``on_progress(sent)`` is called after every answer, by whichever client had it, one
    call at a time (the tests use it to kill a host part way through). Not only the
    first client's: on a busy machine the others could sign everyone while that one was
    still loading its form, and the host was never killed.
    """
    queue = list(numbers)
    queue.reverse()
    take = threading.Lock()
    progress = threading.Lock()

    def client() -> None:
        signer = Signer(port, path, origin)
        for _ in range(20):  # the page itself may meet the host being killed
            try:
                signer.load_form()
                break
            except (OSError, RuntimeError, http.client.HTTPException):
                time.sleep(0.2)
        while True:
            with take:
                if not queue:
                    break
                number = queue.pop()
            status = signer.sign(ledger.run, number)
            with ledger.lock:
                ledger.statuses[status] += 1
                if status == 302:
                    ledger.acknowledged.add(number)
                elif status == 0 or status >= 500:
                    ledger.unanswered.add(number)
                else:
                    ledger.refused[status] += 1
            if on_progress is not None:
                with progress:
                    on_progress(ledger.sent)
        signer.close()

    ledger.started = ledger.started or time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ledger.finished = time.monotonic()


@dataclass
class Reconciliation:
    acknowledged: int
    stored: int
    lost: int  # acknowledged, not stored
    duplicates: int  # signers with more than one row
    unacknowledged_stored: int  # in flight at the kill, stored anyway
    mails: int  # confirmation mails received by the SMTP sink
    mails_twice: int  # recipients with more than one
    mails_missing: int  # stored signers without one
    mails_stray: int  # mails to nobody in the ledger

    @property
    def clean(self) -> bool:
        return not (
            self.lost
            or self.duplicates
            or self.mails_twice
            or self.mails_missing
            or self.mails_stray
        )

    def lines(self) -> list[str]:
        return [
            f"acknowledged signatures:        {self.acknowledged}",
            f"stored signatures:              {self.stored}",
            f"  acknowledged but not stored:  {self.lost}",
            f"  stored more than once:        {self.duplicates}",
            f"  stored, never acknowledged:   {self.unacknowledged_stored}",
            f"confirmation mails received:    {self.mails}",
            f"  sent twice:                   {self.mails_twice}",
            f"  missing:                      {self.mails_missing}",
            f"  to nobody of the ledger:      {self.mails_stray}",
        ]


def reconcile(ledger: Ledger, stored_names: list[str], recipients: list[str]) -> Reconciliation:
    """Compare the ledger with the stored last names and the mails' recipients."""
    rows = Counter(stored_names)
    stored_numbers = {number_of(ledger.run, name) for name in rows}
    mails = Counter(recipients)
    expected = {email_of(ledger.run, n) for n in stored_numbers}
    return Reconciliation(
        acknowledged=len(ledger.acknowledged),
        stored=len(rows),
        lost=len(ledger.acknowledged - stored_numbers),
        duplicates=sum(1 for count in rows.values() if count > 1),
        unacknowledged_stored=len(stored_numbers - ledger.acknowledged),
        mails=sum(mails.values()),
        mails_twice=sum(1 for address, count in mails.items() if count > 1 and address in expected),
        mails_missing=len(expected - set(mails)),
        mails_stray=len(set(mails) - expected),
    )


def number_of(run: str, name: str) -> int:
    """The inverse of ``last_name``."""
    prefix = f"Ledger{run}".capitalize()
    assert name.startswith(prefix), name
    number = 0
    for letter in name[len(prefix) :]:
        number = number * 26 + string.ascii_lowercase.index(letter)
    return number
