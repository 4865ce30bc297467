"""The signing form cannot be turned against signers: no lures in mail, held mail, lasting limits.

Through the real signing flow (Django's test client, the view, the writer's
``write_batch``), the real worker (``run_tasks``) and a real SMTP server.
"""

from __future__ import annotations

import html
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import Mailbox, mail_text, run_tasks, sign_data
from safepassage.events.models import Event
from safepassage.events.tests.test_events import make_event, soon
from safepassage.lib.emails import canonicalize
from safepassage.outbox.models import Message
from safepassage.signatures import moderation, services, throttle
from safepassage.signatures.models import LimitCounter, Signature

# Names a stranger may type to make the campaign mail a lure to any address.
HOSTILE_NAMES = [
    "Go to https://evil.example/verify now",
    "https://evil.example",
    "http://evil.example/login",
    "evil.example/verify",
    "www.evil.example",
    "wwwevil.example",
    "xn--evl-6na.example",
    "evil.\u4f8b\u3048.\u30c6\u30b9\u30c8",  # an IDN domain: evil.例え.テスト
    "\u0435vil.com",  # Cyrillic e: a homograph domain
    "security@evil.example",
    "mailto:security@evil.example",
    "evil . example",
    "evil\uff0eexample",  # fullwidth full stop
    "evil\u3002example",  # ideographic full stop, a label separator for IDNA
    "\uff45\uff56\uff49\uff4c\uff0e\uff45\uff58",  # fullwidth "evil.ex"
    "\u202eelpmaxe.live",  # right-to-left override: shows as "evil.example"
    "Ev\u200dil",  # zero-width joiner
    "E\u200bvil",  # zero-width space
    "[Verify](http://evil.example)",
    '<a href="http://evil.example">Verify</a>',
    "<b>Evil</b>",
    "evil" * 24,
    "+1 (555) 010-9999 call evil",
    "Call 5550109999",
    "evil:8080",
    "Your evil account is locked",
    "javascript:alert(1)",
]

# Real names in many scripts: greeted by name.
REAL_NAMES = [
    "\uae40\ubbfc\uc218",  # 김민수
    "\u5c71\u7530",  # 山田
    "\u30e6\u30fc\u30ea",  # ユーリ
    "\u0645\u062d\u0645\u062f",  # محمد
    "Mar\u00eda Jos\u00e9",
    "O'Brien",
    "Jean-Pierre",
    "Zo\u00eb",
]


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> None:
    settings.REPEAT_MAIL_MINUTES = 0
    cache.clear()


def sign(client: Client, petition: Any, ip: str = "127.0.0.1", **overrides: str) -> Any:
    return client.post(petition.get_absolute_url(), sign_data(**overrides), REMOTE_ADDR=ip)


def parts(message: EmailMessage) -> tuple[str, str]:
    html_part = message.get_body(preferencelist=("html",))
    assert isinstance(html_part, EmailMessage)
    return mail_text(message), str(html_part.get_content())


def by_recipient(mailbox: Mailbox, count: int) -> dict[str, EmailMessage]:
    messages = mailbox.wait_for(count)
    assert len(messages) == count
    return {str(message["To"]): message for message in messages}


def assert_carries_none_of(text: str, name: str) -> None:
    lowered = text.lower()
    for needle in (name, html.escape(name), "evil", "\u202e", "\u200d", "\u200b"):
        assert needle.lower() not in lowered, (name, needle)


# --- No lures in mail ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_no_name_that_could_carry_a_link_or_a_lure_reaches_either_part_of_the_mail(
    petition, smtp_server, settings
):
    settings.THROTTLE_PER_IP = settings.THROTTLE_PER_NETWORK = 1000
    client = Client()
    accepted: dict[str, str] = {}
    for n, name in enumerate(HOSTILE_NAMES):
        address = f"hostile{n}@example.org"
        response = sign(client, petition, first_name=name, last_name=name, email=address)
        if response.status_code == 302:
            accepted[address] = name
    # The form lets most of them through (it checks names, not intentions): the mail must cope.
    assert "Go to https://evil.example/verify now" in accepted.values()
    assert len(accepted) >= len(HOSTILE_NAMES) - 6
    run_tasks()
    mails = by_recipient(smtp_server, len(accepted))
    for address, name in accepted.items():
        text, body_html = parts(mails[address])
        assert text.startswith("Hello,"), (name, text[:80])
        assert "<p>Hello,</p>" in body_html
        assert_carries_none_of(text, name)
        assert_carries_none_of(body_html, name)
        assert_carries_none_of(str(mails[address]["Subject"]), name)


@pytest.mark.django_db(transaction=True)
def test_real_names_in_every_script_are_greeted(petition, smtp_server):
    client = Client()
    for n, name in enumerate(REAL_NAMES):
        assert (
            sign(client, petition, first_name=name, email=f"real{n}@example.org").status_code == 302
        )
    run_tasks()
    mails = by_recipient(smtp_server, len(REAL_NAMES))
    for n, name in enumerate(REAL_NAMES):
        text, body_html = parts(mails[f"real{n}@example.org"])
        assert text.startswith(f"Dear {name},"), text[:80]
        assert f"Dear {html.escape(name)}," in body_html


@pytest.mark.django_db(transaction=True)
def test_an_rsvp_name_is_greeted_only_when_it_is_plainly_a_name(petition, smtp_server):
    event = make_event(petition.campaign, starts_at=soon(), ends_at=None)
    assert isinstance(event, Event)
    client = Client()
    url = reverse("events:rsvp", args=[event.uuid])
    lure = "Go to https://evil.example/verify now"
    for name, address in ((lure, "lured@example.org"), ("\uae40\ubbfc\uc218", "kim@example.org")):
        data = {"name": name, "email": address, "people": "1", "consent": "only"}
        assert client.post(url, data).status_code == 302
    run_tasks()
    mails = by_recipient(smtp_server, 2)
    text, body_html = parts(mails["lured@example.org"])
    assert text.startswith("Hello,")
    assert_carries_none_of(text, lure)
    assert_carries_none_of(body_html, lure)
    text, body_html = parts(mails["kim@example.org"])
    assert text.startswith("Dear \uae40\ubbfc\uc218,")
    assert "Dear \uae40\ubbfc\uc218," in body_html


# --- Held submissions hold their mail ------------------------------------------------------


@pytest.mark.slow  # a flood of submissions, then their mail
@pytest.mark.django_db(transaction=True)
def test_a_flood_from_one_address_mails_only_up_to_the_limit_until_an_organiser_clears_it(
    petition, smtp_server, settings
):
    client = Client()
    for n in range(300):
        assert sign(client, petition, email=f"flood{n}@example.org").status_code == 302
    run_tasks()
    time.sleep(0.5)
    assert len(smtp_server.messages) == settings.THROTTLE_PER_IP
    held = Message.objects.filter(status=Message.Status.HELD)
    assert held.count() == 300 - settings.THROTTLE_PER_IP
    assert not held.filter(recipient_encrypted="").exists()  # kept to be sent later

    cleared, _left = moderation.clear_review(Signature.objects.filter(petition=petition))
    assert cleared == 300 - settings.THROTTLE_PER_IP
    run_tasks()
    assert len(smtp_server.wait_for(300)) == 300
    assert not Message.objects.filter(status=Message.Status.HELD).exists()


@pytest.mark.django_db(transaction=True)
def test_invalidating_a_flood_wipes_its_held_mail(petition, smtp_server, settings, admin_user):
    settings.THROTTLE_PER_IP = 2
    client = Client()
    for n in range(5):
        sign(client, petition, ip="198.51.100.7", email=f"bot{n}@example.org")
    moderation.invalidate(petition, ip_hash="198.51.100.7", reason="bots", user=admin_user)
    assert not Message.objects.exclude(status=Message.Status.WITHHELD).exists()
    assert not Message.objects.exclude(recipient_encrypted="").exists()
    run_tasks()
    time.sleep(0.3)
    assert smtp_server.messages == []


@pytest.mark.django_db
def test_held_mail_no_one_clears_is_dropped_with_its_address(petition, settings):
    settings.THROTTLE_PER_IP = 1
    client = Client()
    sign(client, petition, email="first@example.org")
    sign(client, petition, email="second@example.org")
    sign(client, petition, email="first@example.org")  # signed again, held: mail to an owner
    assert Message.objects.filter(status=Message.Status.HELD).count() == 2
    Signature.objects.update(status=Signature.Status.CONFIRMED, confirmed_at=timezone.now())
    later = time.time() + (settings.SIGNATURE_CONFIRM_DAYS + 1) * 86400
    services.expire_unconfirmed(now=datetime.fromtimestamp(later, tz=UTC))
    assert not Message.objects.filter(status=Message.Status.HELD).exists()
    assert (
        not Message.objects.exclude(status=Message.Status.QUEUED)
        .exclude(recipient_encrypted="")
        .exists()
    )


# --- Limits that load cannot evict ---------------------------------------------------------


def flood_between(petition: Any, count: int, serial: int) -> int:
    """``count`` other signers, each from an address of its own, written as the writer does."""
    form = sign_data()
    pending = []
    for _ in range(count):
        serial += 1
        ip = f"10.{serial // 65536 % 256}.{serial // 256 % 256}.{serial % 256}"
        data = {**form, "email": f"other{serial}@example.net"}
        canonical = canonicalize(data["email"])
        pending.append(services.build_pending(petition, data, canonical, ip, "en"))
    services.commit_batch(pending)
    return serial


def sign_among_a_crowd(petition: Any, settings: Any, monkeypatch: Any, crowd: int) -> list[str]:
    """One address signs 40 times with ``crowd`` other signers between its submissions.

    The flood takes minutes on a slow machine: the throttle's clock stands still in
    the middle of a window, so that a window ending mid-test cannot reset the count.
    """
    settings.THROTTLE_PER_NETWORK = settings.THROTTLE_PER_DOMAIN = 0
    window = settings.THROTTLE_WINDOW_SECONDS
    middle = time.time() // window * window + window / 2
    monkeypatch.setattr(throttle, "time", SimpleNamespace(time=lambda: middle))
    client = Client()
    serial = 0
    for n in range(40):
        sign(client, petition, ip="198.51.100.23", email=f"office{n}@example.org")
        serial = flood_between(petition, crowd, serial)
    hashes = [services.hash_email(f"office{n}@example.org") for n in range(40)]
    rows = Signature.objects.filter(email_hash__in=hashes)
    return list(rows.order_by("pk").values_list("review_reason", flat=True))


@pytest.mark.slow  # a thousand other signers between the submissions
@pytest.mark.django_db
def test_the_address_limit_holds_with_a_thousand_other_signers_between_submissions(
    petition, settings, monkeypatch
):
    assert settings.THROTTLE_STORE == "database"  # the default without Redis
    # A per-process in-memory cache (300 keys) forgot the address after 300 others.
    reasons = sign_among_a_crowd(petition, settings, monkeypatch, crowd=1000)
    assert reasons[: settings.THROTTLE_PER_IP] == [""] * settings.THROTTLE_PER_IP
    assert reasons[settings.THROTTLE_PER_IP :] == [throttle.REASONS["ip"]] * (
        40 - settings.THROTTLE_PER_IP
    )


@pytest.mark.django_db
def test_the_address_limit_holds_in_redis_too(petition, settings, monkeypatch, redis_url):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
        }
    }
    settings.THROTTLE_STORE = "cache"
    # Redis evicts nothing at this size; fewer others keep the round trips (four
    # per signer) to seconds.
    reasons = sign_among_a_crowd(petition, settings, monkeypatch, crowd=100)
    assert reasons.count("") == settings.THROTTLE_PER_IP
    assert reasons[settings.THROTTLE_PER_IP :] == [throttle.REASONS["ip"]] * (
        40 - settings.THROTTLE_PER_IP
    )
    assert not LimitCounter.objects.exists()


@pytest.mark.django_db
def test_one_network_is_limited_whichever_of_its_addresses_signs(petition, settings):
    settings.THROTTLE_PER_NETWORK = 3
    client = Client()
    for n in range(3):
        sign(client, petition, ip=f"203.0.113.{n + 1}", email=f"v4-{n}@example.org")
        sign(client, petition, ip=f"2001:db8:7:{n}::1", email=f"v6-{n}@example.org")
    sign(client, petition, ip="203.0.113.200", email="v4-late@example.org")
    sign(client, petition, ip="2001:db8:7:ffff::9", email="v6-late@example.org")
    sign(client, petition, ip="203.0.114.1", email="elsewhere@example.org")
    held = set(Signature.objects.exclude(review_reason="").values_list("review_reason", flat=True))
    assert held == {throttle.REASONS["net"]}
    assert Signature.objects.exclude(review_reason="").count() == 2


@pytest.mark.django_db
def test_one_mail_domain_is_limited_across_addresses(petition, settings):
    settings.THROTTLE_PER_DOMAIN = 2
    client = Client()
    for n in range(4):
        sign(client, petition, ip=f"192.0.2.{n}", email=f"x{n}@Flood.Example")
    sign(client, petition, ip="192.0.2.77", email="y@other.example")
    reasons = list(Signature.objects.order_by("pk").values_list("review_reason", flat=True))
    assert reasons == ["", "", throttle.REASONS["domain"], throttle.REASONS["domain"], ""]


@pytest.mark.django_db
def test_counters_of_ended_windows_are_pruned(petition, settings):
    sign(Client(), petition)
    assert LimitCounter.objects.exists()
    assert throttle.prune_counters() == 0
    later = time.time() + settings.THROTTLE_WINDOW_SECONDS
    assert throttle.prune_counters(now=later) > 0
    assert not LimitCounter.objects.exists()


def test_networks_are_slash_24_and_slash_48():
    assert throttle.network("198.51.100.23") == "198.51.100.0/24"
    assert throttle.network("::ffff:198.51.100.23") == "198.51.100.0/24"
    assert throttle.network("2001:db8:7:1234::1") == "2001:db8:7::/48"
    assert throttle.network("") == throttle.network("not an address") == ""
