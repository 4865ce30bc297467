"""Bot resistance: proof of work (ALTCHA's protocol) and a hidden field, per petition."""

from __future__ import annotations

import base64
import json
import time

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from conftest import run_tasks, sign_data
from safepassage.campaigns.models import Petition
from safepassage.lib import pow
from safepassage.signatures import botcheck
from safepassage.signatures.models import Signature, UsedChallenge

pytestmark = pytest.mark.django_db

KEY = b"k" * 32


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    settings.BOT_CHALLENGE_MAX_NUMBER = 2000  # quick to solve in Python
    cache.clear()


def solved(key: bytes = KEY, lifetime: int = 600, now: float | None = None) -> str:
    challenge = pow.create_challenge(key, 2000, lifetime, now=now)
    number = pow.solve(challenge)
    assert number is not None
    return pow.payload(challenge, number)


def switch(petition: Petition, mode: str) -> Petition:
    Petition.objects.filter(pk=petition.pk).update(bot_challenge=mode)
    cache.clear()
    from safepassage.campaigns.models import forget_remembered_petitions

    forget_remembered_petitions()
    petition.refresh_from_db()
    return petition


def server_solution(client: Client, petition: Petition) -> str:
    """What the page's script does: fetch a challenge from the site and solve it."""
    response = client.get(reverse("signatures:challenge", args=[petition.slug]))
    assert response.status_code == 200
    challenge = response.json()
    number = pow.solve(challenge)
    assert number is not None
    return pow.payload(challenge, number)


def post(client: Client, petition: Petition, **fields: str):
    return client.post(reverse("signatures:sign", args=[petition.slug]), sign_data(**fields))


# --------------------------------------------------------------------------- the protocol


def test_a_real_solution_is_accepted():
    encoded = solved()
    result = pow.verify(encoded, KEY)
    assert result is not None
    assert len(result.challenge) == 64
    assert result.expires > time.time()


def test_a_wrong_number_is_refused():
    data = json.loads(base64.b64decode(solved()))
    data["number"] = (data["number"] + 1) % 2001
    assert pow.verify(base64.b64encode(json.dumps(data).encode()).decode(), KEY) is None


def test_an_expired_challenge_is_refused():
    encoded = solved(lifetime=60, now=time.time() - 120)
    assert pow.verify(encoded, KEY) is None


def test_a_challenge_signed_with_another_key_is_refused():
    assert pow.verify(solved(key=b"x" * 32), KEY) is None


def test_a_tampered_salt_is_refused_even_with_a_matching_hash():
    # A client that picks its own salt (say, a later expiry) and hashes it itself
    # has a self-consistent challenge, but not the server's signature of it.
    data = json.loads(base64.b64decode(solved()))
    data["salt"] = data["salt"].replace("expires=", "expires=9")
    data["challenge"] = pow._hash(data["salt"], data["number"])
    assert pow.verify(base64.b64encode(json.dumps(data).encode()).decode(), KEY) is None


@pytest.mark.parametrize("garbage", ["", "not base64!", base64.b64encode(b"[1]").decode(), "e30="])
def test_garbage_is_refused(garbage):
    assert pow.verify(garbage, KEY) is None


# --------------------------------------------------------------------------- the signing form


def test_the_challenge_endpoint_sets_no_cookie_and_is_never_cached(client, petition):
    response = client.get(reverse("signatures:challenge", args=[petition.slug]))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert not response.cookies
    assert response.json()["algorithm"] == "SHA-256"


def test_a_petition_with_the_challenge_off_offers_none(client, petition):
    switch(petition, "off")
    assert client.get(reverse("signatures:challenge", args=[petition.slug])).status_code == 404
    page = client.get(petition.get_absolute_url()).content.decode()
    assert "proof-of-work.js" not in page
    assert 'name="website"' not in page


def test_the_page_carries_a_hidden_trap_field_and_the_solver_script(client, petition):
    switch(petition, "always")
    page = client.get(petition.get_absolute_url()).content.decode()
    assert 'class="trap" aria-hidden="true"' in page
    assert 'tabindex="-1" autocomplete="off"' in page
    assert "js/proof-of-work" in page
    assert "<script>" not in page  # no inline script: the solver is a file


def test_a_solved_challenge_signs_without_being_held(client, petition, smtp_server):
    switch(petition, "always")
    response = post(client, petition, altcha=server_solution(client, petition))
    assert response.status_code == 302
    assert Signature.objects.get().review_reason == ""
    assert UsedChallenge.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_without_proof_of_work_the_signature_is_held_and_no_mail_is_sent(petition, smtp_server):
    switch(petition, "always")
    client = Client()
    with_solution = post(
        client, petition, email="a@example.org", altcha=server_solution(client, petition)
    )
    without = post(client, petition, email="b@example.org")
    assert without.status_code == with_solution.status_code == 302
    assert without["Location"] == with_solution["Location"]
    held = Signature.objects.get(review_reason__contains=botcheck.NO_PROOF_OF_WORK)
    assert held.review_reason == botcheck.NO_PROOF_OF_WORK
    run_tasks()
    messages = smtp_server.wait_for(1, timeout=5)
    assert [m["To"] for m in messages] == ["a@example.org"]


@pytest.mark.django_db(transaction=True)
def test_a_filled_trap_field_answers_like_success_and_mails_nobody(petition, smtp_server):
    switch(petition, "always")
    client = Client()
    filled = post(
        client, petition, altcha=server_solution(client, petition), website="https://spam.example"
    )
    assert filled.status_code == 302
    assert filled["Location"] == reverse("signatures:thanks", args=[petition.slug])
    assert Signature.objects.get().review_reason == botcheck.HONEYPOT_FILLED
    run_tasks()
    time.sleep(0.5)
    assert smtp_server.messages == []


def test_a_replayed_solution_holds_every_later_submission(client, petition):
    switch(petition, "always")
    solution = server_solution(client, petition)
    for n in range(3):
        assert post(client, petition, email=f"r{n}@example.org", altcha=solution).status_code == 302
    reasons = list(Signature.objects.order_by("pk").values_list("review_reason", flat=True))
    assert reasons == ["", "proof of work reused", "proof of work reused"]


def test_a_petition_with_the_challenge_off_holds_nothing_for_it(client, petition):
    switch(petition, "off")
    post(client, petition, website="filled")
    assert Signature.objects.get().review_reason == ""


def test_automatic_switches_on_above_the_rate_and_off_below(client, petition, settings):
    switch(petition, "automatic")
    settings.BOT_CHALLENGE_SURGE_PER_MINUTE = 3
    settings.THROTTLE_PER_IP = 1000
    now = [1_000_000.0]

    def sign(n: int) -> str:
        post(client, petition, email=f"auto{n}@example.org")
        return Signature.objects.order_by("-pk").values_list("review_reason", flat=True)[0]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("safepassage.signatures.throttle.time.time", lambda: now[0])
        assert [sign(n) for n in range(3)] == ["", "", ""]
        assert sign(3) == botcheck.NO_PROOF_OF_WORK  # the 4th in a minute: a surge
        now[0] += 60  # a new minute starts from zero, but the surge holds a while
        assert sign(4) == botcheck.NO_PROOF_OF_WORK
        cache.delete(botcheck._surge_key(petition.pk))  # SURGE_HOLD_SECONDS have passed
        now[0] += 60
        assert sign(5) == ""


def test_housekeeping_forgets_used_challenges_once_they_expired(db):
    UsedChallenge.objects.create(challenge="a" * 64, expires=100)
    UsedChallenge.objects.create(challenge="b" * 64, expires=int(time.time()) + 600)
    assert botcheck.forget_expired_challenges() == 1
    assert list(UsedChallenge.objects.values_list("challenge", flat=True)) == ["b" * 64]
