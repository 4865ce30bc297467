"""The signing page and the double opt-in, through Django's test client."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import sign_data
from safepassage.campaigns.models import Campaign, PetitionText
from safepassage.lib import crypto
from safepassage.outbox.models import Message
from safepassage.signatures import counter, services
from safepassage.signatures.consent import CONSENT_VERSION
from safepassage.signatures.models import Erasure, Signature
from safepassage.signatures.tokens import link_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    cache.clear()


def sign(client: Client, petition, HTTP_ACCEPT_LANGUAGE: str = "en", **overrides: str):
    return client.post(
        reverse("signatures:sign", args=[petition.slug]),
        sign_data(**overrides),
        HTTP_ACCEPT_LANGUAGE=HTTP_ACCEPT_LANGUAGE,
    )


def without_csrf(html: bytes) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", html)


def confirm_url(signature: Signature) -> str:
    return reverse(
        "signatures:confirm", args=[signature.uuid, link_token("confirm", signature.uuid)]
    )


def withdraw_url(signature: Signature) -> str:
    return reverse(
        "signatures:withdraw", args=[signature.uuid, link_token("withdraw", signature.uuid)]
    )


def test_the_form_asks_for_every_field_and_ticks_nothing(client, petition):
    response = client.get(petition.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    for name in (
        "first_name",
        "last_name",
        "email",
        "city",
        "country",
        "region",
        "contact",
        "publish_name",
    ):
        assert f'name="{name}"' in html
    assert "checked" not in html
    assert "Our promise to you" in html
    assert 'id="signature-count"' in html


def test_a_submission_is_stored_pending_with_its_mail_queued(client, petition):
    response = sign(client, petition)
    assert response.status_code == 302
    assert response["Location"] == reverse("signatures:thanks", args=[petition.slug])
    signature = Signature.objects.get()
    assert signature.status == Signature.Status.PENDING
    assert (signature.first_name, signature.region, signature.country) == ("Ji-woo", "KR-11", "KR")
    message = Message.objects.get()
    assert message.kind == Message.Kind.SIGNATURE_CONFIRM
    assert message.signature == signature
    assert crypto.decrypt(message.recipient_encrypted) == "ji-woo.kim@example.org"
    assert counter.confirmed_count(petition) == 0


def test_each_signature_records_the_consent_it_was_given(client, petition):
    sign(client, petition, contact="updates", publish_name="no")
    signature = Signature.objects.get()
    assert signature.consent_version == CONSENT_VERSION
    assert re.fullmatch(r"[0-9a-f]{64}", signature.consent_hash)
    assert signature.contact == "updates"
    assert signature.publish_name is False
    assert signature.created_at <= timezone.now()


def test_the_address_is_kept_encrypted_only_for_signers_who_want_contact(client, petition):
    sign(client, petition, email="a@example.org", contact="count")
    sign(client, petition, email="b@example.org", contact="contact")
    only_counted = Signature.objects.get(contact="count")
    contactable = Signature.objects.get(contact="contact")
    assert only_counted.email_encrypted == ""
    assert "b@example.org" not in contactable.email_encrypted
    assert crypto.decrypt(contactable.email_encrypted) == "b@example.org"


def test_errors_are_shown_next_to_each_field_and_input_is_kept(client, petition):
    response = sign(client, petition, first_name="", email="not-an-address", region="", contact="")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Please enter your first name." in html
    assert "This does not look like an e-mail address" in html
    assert "Please enter your state, province or region." in html
    assert "Please choose how we may use your e-mail address." in html
    assert 'value="not-an-address"' in html
    assert 'value="Kim"' in html
    assert 'value="Seoul"' in html
    assert re.search(r'<option value="KR" selected', html)
    assert Signature.objects.count() == 0


def test_the_region_is_a_subdivision_of_the_chosen_country(client, petition):
    response = sign(client, petition, country="KR", region="US-CA")
    assert "Please choose your state or province from the list" in response.content.decode()
    # The region select lists the country's subdivisions.
    assert '<option value="KR-26"' in response.content.decode()
    assert Signature.objects.count() == 0


def test_a_form_shown_again_does_not_change_the_next_visitors_form(client, petition):
    """Valid submissions share the form's fields; a form shown again works on its own copy."""
    from django import forms

    from safepassage.signatures.forms import SignForm

    shown = SignForm(sign_data(country="KR", region="nowhere"), language="en")
    assert not shown.is_valid()
    assert 'value="KR-26"' in str(shown["region"])  # this visitor gets the Korean list
    assert isinstance(SignForm.base_fields["region"].widget, forms.TextInput)
    valid = SignForm(sign_data(country="US", region="US-CA"), language="en")
    assert valid.is_valid(), valid.errors
    assert valid.fields["region"] is SignForm.base_fields["region"]  # shared, not copied
    # The next visitor, from the United States, gets the American list, not the Korean one.
    response = sign(client, petition, country="US", region="", first_name="")
    html = response.content.decode()
    assert 'value="KR-26"' not in html
    assert 'value="US-CA"' in html


def test_a_typed_region_name_is_matched_to_its_code(client, petition):
    sign(client, petition, country="DE", region="Bayern")
    assert Signature.objects.get().region == "DE-BY"


def test_countries_without_subdivisions_take_free_text(client, petition):
    sign(client, petition, country="VA", region="Città del Vaticano", city="Vatican")
    assert Signature.objects.get().region == "Città del Vaticano"


def test_country_names_are_localised(client, petition):
    response = client.get(petition.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ko")
    assert "대한민국" in response.content.decode()
    assert "중국 내 탈북 난민에게 안전한 길을" in response.content.decode()


def test_the_page_speaks_korean_to_korean_readers(client, petition):
    html = client.get(petition.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "청원에 서명하기" in html  # "Sign the petition"
    assert "서명자께 드리는 약속" in html  # "Our promise to you"
    response = sign(client, petition, first_name="", HTTP_ACCEPT_LANGUAGE="ko")
    assert "이름을 입력해 주세요." in response.content.decode()  # "Please enter your first name."


def test_the_consent_record_names_the_text_in_the_signers_language(client, petition):
    sign(client, petition, email="en@example.org")
    client.post(
        reverse("signatures:sign", args=[petition.slug]),
        sign_data(email="ko@example.org"),
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    english, korean = Signature.objects.order_by("pk")
    assert (english.language, korean.language) == ("en", "ko")
    assert english.consent_hash != korean.consent_hash


def test_a_second_signature_looks_exactly_like_the_first(client, petition):
    first = sign(client, petition, email="Ji.Woo+petition@gmail.com")
    again = sign(Client(), petition, email="jiwoo@googlemail.com", first_name="Other")
    assert (first.status_code, first["Location"]) == (again.status_code, again["Location"])
    assert first.content == again.content
    assert Signature.objects.count() == 1
    kinds = list(Message.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [Message.Kind.SIGNATURE_CONFIRM, Message.Kind.SIGNATURE_REPEAT]
    thanks_first = without_csrf(client.get(first["Location"]).content)
    assert thanks_first == without_csrf(Client().get(again["Location"]).content)


def test_the_database_refuses_a_second_row_for_the_same_person(petition):
    from django.db import IntegrityError, transaction

    digest = services.hash_email("x@example.org")
    base = dict(petition=petition, first_name="A", last_name="B", city="C", region="KR-11")
    base.update(country="KR", publish_name=True, contact="count", email_hash=digest)
    base.update(consent_version="v", consent_hash="h")
    Signature.objects.create(**base)
    with pytest.raises(IntegrityError), transaction.atomic():
        Signature.objects.create(**base)


def test_opening_the_link_does_not_confirm_but_the_button_does(client, petition):
    sign(client, petition)
    signature = Signature.objects.get()
    page = client.get(confirm_url(signature))
    assert page.status_code == 200
    assert "Confirm my signature" in page.content.decode()
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING

    response = client.post(confirm_url(signature))
    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.status == Signature.Status.CONFIRMED
    assert signature.confirmed_at is not None
    assert counter.confirmed_count(petition) == 1
    assert "Your signature is confirmed" in client.get(confirm_url(signature)).content.decode()


def test_a_forged_link_is_refused(client, petition):
    sign(client, petition)
    signature = Signature.objects.get()
    forged = reverse("signatures:confirm", args=[signature.uuid, "0" * 40])
    assert client.post(forged).status_code == 404
    signature.refresh_from_db()
    assert signature.status == Signature.Status.PENDING


def test_withdrawal_erases_the_signature_and_leaves_a_tombstone(client, petition):
    sign(client, petition, contact="contact")
    signature = Signature.objects.get()
    client.post(confirm_url(signature))
    assert counter.confirmed_count(petition) == 1
    assert client.get(withdraw_url(signature)).status_code == 200
    response = client.post(withdraw_url(signature))
    assert "has been withdrawn" in response.content.decode()
    assert not Signature.objects.exists()
    tombstone = Erasure.objects.get()
    assert tombstone.email_hash == signature.email_hash
    assert counter.confirmed_count(petition) == 0
    # The same person may sign again later.
    sign(client, petition)
    assert Signature.objects.count() == 1


def test_erasures_replay_onto_a_restored_backup(client, petition):
    sign(client, petition)
    signature = Signature.objects.get()
    record = (petition.pk, signature.email_hash, timezone.now(), "withdrawn")
    # The restored backup still holds the row; replaying the tombstone removes it.
    assert services.replay_erasures([record]) == 1
    assert not Signature.objects.exists()
    assert services.replay_erasures([record]) == 0


def test_unconfirmed_signatures_expire(client, petition):
    sign(client, petition, email="old@example.org")
    sign(client, petition, email="new@example.org")
    Signature.objects.filter(email_hash=services.hash_email("old@example.org")).update(
        created_at=timezone.now() - timedelta(days=settings.SIGNATURE_CONFIRM_DAYS, minutes=1)
    )
    assert services.expire_unconfirmed() == 1
    assert Signature.objects.count() == 1
    assert (
        Message.objects.filter(status=Message.Status.WITHHELD, recipient_encrypted="").count() == 1
    )


def test_signing_beyond_the_address_limit_is_held_for_review(client, petition, settings):
    settings.THROTTLE_PER_IP = 2
    for n in range(4):
        sign(client, petition, email=f"person{n}@example.org")
    reasons = list(Signature.objects.order_by("pk").values_list("review_reason", flat=True))
    assert reasons[:2] == ["", ""]
    assert all("many signatures from one address" in r for r in reasons[2:])
    for signature in Signature.objects.all():
        client.post(confirm_url(signature))
    assert counter.confirmed_count(petition) == 2


def test_a_lookalike_domain_is_held_for_review(client, petition):
    sign(client, petition, email="user@p\u0430ypal.com")
    assert "look-alike" in Signature.objects.get().review_reason


def test_invisible_characters_in_the_address_are_refused(client, petition):
    response = sign(client, petition, email="ji\u200bwoo@example.org")
    assert "This does not look like an e-mail address" in response.content.decode()
    assert not Signature.objects.exists()


def test_a_closed_petition_takes_no_signatures(client, petition):
    Campaign.objects.filter(pk=petition.campaign_id).update(status=Campaign.Status.CLOSED)
    assert "not open for signing" in client.get(petition.get_absolute_url()).content.decode()
    assert sign(client, petition).status_code == 409
    assert not Signature.objects.exists()


def test_a_draft_campaign_is_not_public(client, petition):
    Campaign.objects.filter(pk=petition.campaign_id).update(status=Campaign.Status.DRAFT)
    assert client.get(petition.get_absolute_url()).status_code == 404


def test_petition_markdown_is_sanitised(client, petition):
    PetitionText.objects.filter(petition=petition, language="en").update(
        body="Hello <script>alert(1)</script> [x](javascript:alert(2)) "
        "<img src=x onerror=alert(3)> **bold**"
    )
    html = client.get(petition.get_absolute_url()).content.decode()
    assert "<strong>bold</strong>" in html
    assert "<script>alert(1)" not in html
    assert "javascript:" not in html
    assert "onerror" not in html


def test_asking_for_the_mail_again_answers_the_same_for_anyone(client, petition):
    sign(client, petition, email="known@example.org")
    url = reverse("signatures:resend", args=[petition.slug])
    known = client.post(url, {"email": "Known@Example.org"})
    unknown = client.post(url, {"email": "stranger@example.org"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    kinds = list(Message.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == [Message.Kind.SIGNATURE_CONFIRM, Message.Kind.SIGNATURE_REPEAT]


def test_the_counter_endpoint_reports_confirmed_signatures(client, petition):
    sign(client, petition)
    client.post(confirm_url(Signature.objects.get()))
    data = client.get(reverse("signatures:count", args=[petition.slug])).json()
    assert data == {"confirmed": 1, "paper": 0, "goal": petition.signature_goal}


def test_subdivisions_are_served_for_the_form_script(client):
    data = client.get("/geo/subdivisions/US.json").json()
    assert ["US-CA", "California"] in data["subdivisions"]
    assert client.get("/geo/subdivisions/ZZ.json").status_code == 404


def test_a_row_that_a_concurrent_writer_inserted_first_becomes_a_repeat(petition):
    """PostgreSQL lets two committers race past the lookup; the constraint decides."""

    def pending(email: str) -> Signature:
        return Signature(
            petition=petition, first_name="A", last_name="B", city="C", region="KR-11",
            country="KR", publish_name=True, contact="count", email_hash=services.hash_email(email),
            consent_version="v", consent_hash="h",
        )  # fmt: skip

    winner = pending("race@example.org")
    winner.save()
    loser, newcomer, again = (
        pending("race@example.org"),
        pending("new@example.org"),
        pending("new@example.org"),
    )
    services.insert_signatures([loser, newcomer, again])  # the lookup missed the winner's row
    assert loser.pk is None and again.pk is None
    assert newcomer.pk == Signature.objects.get(email_hash=newcomer.email_hash).pk
    assert Signature.objects.count() == 2
    stored = Signature.objects.get(pk=newcomer.pk)
    assert (stored.uuid, stored.first_name, stored.region) == (newcomer.uuid, "A", "KR-11")


def test_an_expired_signature_can_no_longer_be_confirmed(client, petition):
    sign(client, petition)
    signature = Signature.objects.get()
    Signature.objects.update(created_at=timezone.now() - timedelta(days=30))
    assert client.post(confirm_url(signature)).status_code == 404
    assert Signature.objects.get().status == Signature.Status.PENDING
