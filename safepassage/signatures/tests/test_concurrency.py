"""Concurrent submissions against the real server (gunicorn + worker).

These run on whichever database the suite runs on: scripts/test runs the
suite on SQLite and again on PostgreSQL.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import LiveApp, sign_data
from safepassage.outbox.models import Message
from safepassage.signatures import services
from safepassage.signatures.models import Signature

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_app_web_workers() -> int:
    """Two web processes, as in production: concurrent submissions reach the writer from both."""
    return 2


class Browserless:
    """Just enough of a client: the page's form token, reused for every POST.

    A public page (the signing form) carries a signed form token and sets no cookie; a
    page for one person (a confirmation link) keeps Django's CSRF cookie and token.
    """

    def __init__(self, app: LiveApp, path: str) -> None:
        self.host, port = urllib.parse.urlsplit(app.url).netloc.split(":")
        self.port = int(port)
        self.path = path
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request("GET", path)
        response = conn.getresponse()
        html = response.read().decode()
        self.cookie = (response.getheader("Set-Cookie") or "").split(";")[0]
        public = re.search(r'name="form_token" value="([^"]+)"', html)
        if public:
            assert self.cookie == ""  # a page for everyone
            self.field, self.token = "form_token", public.group(1)
        else:
            private = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
            assert private and self.cookie.startswith("csrftoken=")
            self.field, self.token = "csrfmiddlewaretoken", private.group(1)
        conn.close()

    def post(self, data: dict[str, str]) -> tuple[int, str, bytes]:
        body = urllib.parse.urlencode({**data, self.field: self.token})
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://{self.host}:{self.port}",
        }
        if self.cookie:
            headers["Cookie"] = self.cookie
        try:
            conn.request("POST", self.path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Location") or "", response.read()
        finally:
            conn.close()


def fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def variants_of_one_person(count: int) -> list[str]:
    """Spellings that all reach the mailbox of jiwoo.kim@gmail.com."""
    forms = []
    for n in range(count):
        local = "jiwoo.kim" if n % 2 else "ji.woo.kim"
        local = local.upper() if n % 3 == 0 else local
        tag = f"+t{n}" if n % 5 else ""
        domain = "googlemail.com" if n % 7 == 0 else "Gmail.com"
        address = f"{local}{tag}@{domain}"
        forms.append(fullwidth(address) if n % 11 == 0 else address)
    return forms


@pytest.mark.parametrize(
    "live_app_env",
    [{}, {"SIGNING_WRITER": "0"}],
    ids=["signing-writer", "a-transaction-per-request"],
)
def test_two_hundred_spellings_of_one_person_make_one_signature(live_app, petition):
    client = Browserless(live_app, petition.get_absolute_url())
    addresses = variants_of_one_person(200)
    assert len(set(addresses)) > 150
    with ThreadPoolExecutor(max_workers=200) as pool:
        answers = list(pool.map(lambda a: client.post(sign_data(email=a)), addresses))
    assert {answer for answer in answers} == {answers[0]}
    assert answers[0][0] == 302
    assert Signature.objects.count() == 1
    assert Message.objects.filter(kind=Message.Kind.SIGNATURE_CONFIRM).count() == 1
    assert Message.objects.filter(kind=Message.Kind.SIGNATURE_REPEAT).count() == 199


def test_two_thousand_people_signing_at_once_are_all_stored(live_app, petition):
    client = Browserless(live_app, petition.get_absolute_url())
    addresses = [f"signer{n}@example.org" for n in range(2000)]
    with ThreadPoolExecutor(max_workers=100) as pool:
        answers = list(pool.map(lambda a: client.post(sign_data(email=a)), addresses))
    statuses = {status for status, _, _ in answers}
    assert statuses == {302}, statuses
    assert Signature.objects.count() == 2000
    assert Signature.objects.values("email_hash").distinct().count() == 2000
    assert "database is locked" not in live_app.server_log()
    assert "Traceback" not in live_app.server_log()


def test_the_worker_mails_every_confirmation(live_app, petition):
    client = Browserless(live_app, petition.get_absolute_url())
    with ThreadPoolExecutor(max_workers=20) as pool:
        list(pool.map(lambda n: client.post(sign_data(email=f"m{n}@example.org")), range(40)))
    mails = live_app.mailbox.wait_for(40, timeout=60)
    assert len(mails) == 40
    assert sorted(m["To"] for m in mails) == sorted(f"m{n}@example.org" for n in range(40))
    # Outcomes are recorded once a task's whole batch is through.
    sent = Message.objects.filter(status=Message.Status.SENT, recipient_encrypted="")
    deadline = time.monotonic() + 30
    while sent.count() < 40 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sent.count() == 40


def test_every_acknowledged_signature_survives_killing_the_server(live_app, petition):
    """Invariant 5: a 302 is sent only after the row is durably committed."""
    client = Browserless(live_app, petition.get_absolute_url())
    acknowledged: list[str] = []
    stop = threading.Event()

    def sign_until_killed(n: int) -> None:
        for k in range(10_000):
            if stop.is_set():
                return
            address = f"crash{n}-{k}@example.org"
            try:
                status, _, _ = client.post(sign_data(email=address))
            except OSError:
                return
            if status == 302:
                acknowledged.append(address)

    threads = [threading.Thread(target=sign_until_killed, args=(n,)) for n in range(24)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(acknowledged) < 300 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(live_app.server.pid, signal.SIGKILL)  # master and workers, mid-stream
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    assert len(acknowledged) >= 300
    stored = set(Signature.objects.values_list("email_hash", flat=True))
    missing = [a for a in acknowledged if services.hash_email(a) not in stored]
    assert missing == []
