"""The scale path: several server processes share rate limits through Redis."""

from __future__ import annotations

import re
import urllib.request

import pytest

from conftest import mail_text, sign_data
from safepassage.signatures.models import Signature
from safepassage.signatures.tests.test_concurrency import Browserless

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_app_web_workers() -> int:
    """Two web processes: the limits and the counter hold only if Redis shares them."""
    return 2


@pytest.fixture
def live_app_env(redis_url: str) -> dict[str, str]:
    return {"REDIS_URL": redis_url, "THROTTLE_PER_IP": "10", "COUNT_CACHE_SECONDS": "60"}


def test_the_address_limit_holds_across_server_processes(live_app, petition):
    client = Browserless(live_app, petition.get_absolute_url())
    for n in range(30):
        assert client.post(sign_data(email=f"office{n}@example.org"))[0] == 302
    held = Signature.objects.exclude(review_reason="").count()
    # Two gunicorn processes answered; only a shared counter gives exactly 10.
    assert (Signature.objects.count(), held) == (30, 20)


def test_a_confirmation_refreshes_the_shared_counter(live_app, petition):
    client = Browserless(live_app, petition.get_absolute_url())
    client.post(sign_data(email="counted@example.org"))
    count_url = f"{live_app.url}{petition.get_absolute_url()}count.json"
    assert b'"confirmed": 0' in urllib.request.urlopen(count_url).read()  # now cached for 60 s
    [mail] = live_app.mailbox.wait_for(1)
    path = re.search(r"/s/[0-9a-f-]{36}/confirm/[0-9a-f]{40}/", mail_text(mail))
    assert path
    confirm = Browserless(live_app, path.group(0))
    assert confirm.post({})[0] == 302
    for _ in range(4):  # whichever process answers, the cached count was dropped
        assert b'"confirmed": 1' in urllib.request.urlopen(count_url).read()
