"""The client's IP hash: its own key (never SECRET_KEY), and dropped after a retention period."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from django.utils.crypto import salted_hmac

from safepassage.accounts.models import AuthEvent
from safepassage.campaigns.models import Petition
from safepassage.lib.clients import ip_hash
from safepassage.signatures import moderation, retention
from safepassage.signatures.models import ModerationAction, Signature
from safepassage.signatures.tests.test_moderation import sign

ROOT = Path(__file__).resolve().parents[3]
ADDRESS = "198.51.100.7"


def test_the_ip_hash_does_not_depend_on_secret_key(settings: Any) -> None:
    before = ip_hash(ADDRESS)
    settings.SECRET_KEY = "another-secret-key-of-at-least-32-characters-0000"
    assert ip_hash(ADDRESS) == before
    # Nor is it what SECRET_KEY gave before (a leaked SECRET_KEY reversed every stored hash).
    old = salted_hmac("safepassage.signatures.ip", ADDRESS, algorithm="sha256").hexdigest()
    assert before != old
    settings.IP_HASH_KEY = b"a-new-ip-hash-key-after-rotation-0000000"
    assert ip_hash(ADDRESS) != before


def test_the_default_key_is_its_own(settings: Any) -> None:
    key = settings.IP_HASH_KEY
    assert len(key) >= 32
    assert key not in (settings.SECRET_KEY.encode(), settings.SIGNER_HASH_KEY)


def settings_import(**env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "import safepassage.settings as s; print(s.IP_HASH_KEY.hex())"],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_short_ip_hash_key_is_refused_and_a_good_one_is_used() -> None:
    short = settings_import(IP_HASH_KEY="too-short")
    assert short.returncode != 0 and "IP_HASH_KEY" in short.stderr
    chosen = "an-ip-hash-key-chosen-by-the-operator-0123"
    good = settings_import(IP_HASH_KEY=chosen)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == chosen.encode().hex()


@pytest.fixture
def aged(petition: Petition, settings: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Signatures from one network made 31 and 29 days ago, and today."""
    settings.THROTTLE_PER_IP = 10_000
    settings.THROTTLE_PER_PETITION = 10_000
    now = timezone.now()
    # Each worker sweeps at most once an hour; this test is the first sweep of its "process".
    monkeypatch.setattr(retention, "_next_sweep", 0.0)
    return {
        "old": sign(petition, "old@example.org", ip=ADDRESS, at=now - dt.timedelta(days=31)),
        "recent": sign(petition, "recent@example.org", ip=ADDRESS, at=now - dt.timedelta(days=29)),
        "today": sign(petition, "today@example.org", ip=ADDRESS, at=now),
    }


def housekeeping() -> str:
    out = io.StringIO()
    call_command("housekeeping", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_housekeeping_drops_the_hash_of_signatures_older_than_30_days(aged: dict[str, Any]) -> None:
    digest = ip_hash(ADDRESS)
    assert {row.ip_hash for row in aged.values()} == {digest}
    assert "dropped_ip_hashes: 1" in housekeeping()
    for row in aged.values():
        row.refresh_from_db()
    assert aged["old"].ip_hash is None
    assert aged["recent"].ip_hash == digest and aged["today"].ip_hash == digest
    # Run again (or by a second worker): nothing more to do, nothing else changes.
    assert retention.drop_old_ip_hashes() == 0
    assert Signature.objects.filter(ip_hash=digest).count() == 2


@pytest.mark.django_db
def test_moderation_by_network_still_finds_recent_signatures(
    petition: Petition, aged: dict[str, Any], organiser: User
) -> None:
    housekeeping()
    action = moderation.invalidate(petition, ip_hash=ADDRESS, reason="one IP", user=organiser)
    assert set(action.entries.values_list("signature_id", flat=True)) == {
        aged["recent"].pk,
        aged["today"].pk,
    }


@pytest.mark.django_db
def test_an_old_invalidation_forgets_the_hash_it_was_made_with(
    petition: Petition, aged: dict[str, Any], organiser: User
) -> None:
    action = moderation.invalidate(petition, ip_hash=ADDRESS, reason="one IP", user=organiser)
    recent = ModerationAction.objects.create(
        petition=petition,
        kind=ModerationAction.Kind.INVALIDATE,
        criteria={"ip_hash": ip_hash(ADDRESS)},
        reason="a later flood from the same network",
    )
    ModerationAction.objects.filter(pk=action.pk).update(
        created_at=timezone.now() - dt.timedelta(days=31)
    )
    housekeeping()
    action.refresh_from_db()
    recent.refresh_from_db()
    assert action.criteria == {"ip_hash": None}
    assert recent.criteria == {"ip_hash": ip_hash(ADDRESS)}


@pytest.mark.django_db
def test_the_retention_period_is_a_setting(aged: dict[str, Any], settings: Any) -> None:
    settings.IP_HASH_RETENTION_DAYS = 60
    housekeeping()
    aged["old"].refresh_from_db()
    assert aged["old"].ip_hash == ip_hash(ADDRESS)
    settings.IP_HASH_RETENTION_DAYS = 7
    assert retention.drop_old_ip_hashes() == 2


@pytest.mark.django_db
def test_sign_in_events_lose_the_address_hash_after_the_same_period() -> None:
    digest = ip_hash(ADDRESS)
    now = timezone.now()
    old = AuthEvent.objects.create(
        kind=AuthEvent.Kind.FAILURE, username="olga", ip_hash=digest, at=now - dt.timedelta(days=31)
    )
    recent = AuthEvent.objects.create(
        kind=AuthEvent.Kind.LOGIN, username="olga", ip_hash=digest, at=now - dt.timedelta(days=29)
    )
    assert "dropped_sign_in_ip_hashes: 1" in housekeeping()
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.ip_hash == "" and old.kind == AuthEvent.Kind.FAILURE  # the event stays
    assert recent.ip_hash == digest
