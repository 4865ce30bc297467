"""RSVPs: the form, the double opt-in through real mail, duplicates, capacity, privacy, expiry."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import mail_text, run_tasks
from safepassage.events import services
from safepassage.events.models import RSVP, Event
from safepassage.events.tests.test_events import make_event, soon
from safepassage.lib import crypto
from safepassage.lib.emails import canonicalize, email_hash
from safepassage.outbox.models import Message

ADDRESS = "Rsvp.Person-q7+events@gmail.com"
NEEDLES = ("rsvp.person-q7", "rsvpperson-q7", "person-q7")


@pytest.fixture(autouse=True)
def _settings(settings):
    settings.REPEAT_MAIL_MINUTES = 0
    cache.clear()


def rsvp_data(**overrides: str) -> dict[str, str]:
    data = {"name": "Ji-woo Kim", "email": ADDRESS, "people": "2", "consent": "only"}
    data.update(overrides)
    return data


def rsvp(client: Client, event: Event, **overrides: str):
    return client.post(reverse("events:rsvp", args=[event.uuid]), rsvp_data(**overrides))


def event_page(client: Client, event: Event) -> str:
    return client.get(reverse("events:event", args=[event.uuid])).content.decode()


def count_on_page(client: Client, event: Event) -> int:
    found = re.search(r'<strong id="rsvp-count">(\d+)</strong>', event_page(client, event))
    assert found
    return int(found.group(1))


def link(text: str, purpose: str) -> str:
    pattern = rf"https?://\S+?(/r/[0-9a-f-]{{36}}/{purpose}/[0-9a-f]{{40}}/)"
    found = re.search(pattern, text)
    assert found, text
    return found.group(1)


def own_page_link(text: str) -> str:
    found = re.search(r"https?://\S+?(/r/[0-9a-f-]{36}/[0-9a-f]{40}/)", text)
    assert found, text
    return found.group(1)


@pytest.fixture
def upcoming(petition):
    return make_event(
        petition.campaign,
        title="Vigil with a hidden address",
        starts_at=soon(),
        ends_at=None,
        address_visibility=Event.AddressVisibility.RSVP,
        venue="Community hall of St. Example",
        address="221 Hidden Street",
    )


# --- The form ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_form_asks_everything_and_ticks_nothing(client, upcoming):
    html = event_page(client, upcoming)
    form = html[html.index('id="rsvp-form"') : html.index("</form>", html.index('id="rsvp-form"'))]
    for name in ("name", "email", "people", "consent"):
        assert f'name="{name}"' in form
    assert "checked" not in form
    assert 'value="only"' in form and 'value="contact"' in form
    assert 'min="1"' in form and 'max="20"' in form


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "Please enter your name."),
        ({"email": "nobody@@example"}, "does not look like an e-mail address"),
        ({"people": "0"}, "At least one person, please."),
        ({"people": "21"}, "At most 20 people in one RSVP, please."),
        ({"consent": ""}, "Please choose how we may use your e-mail address."),
        ({"name": "Ji\u200bwoo"}, "Please remove invisible or control characters."),
    ],
)
def test_mistakes_are_explained_and_input_kept(client, upcoming, overrides, message):
    response = rsvp(client, upcoming, **overrides)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert RSVP.objects.count() == 0 and Message.objects.count() == 0
    if "name" not in overrides:
        assert 'value="Ji-woo Kim"' in html


@pytest.mark.django_db
def test_a_submission_is_pending_with_its_mail_queued(client, upcoming):
    response = rsvp(client, upcoming, HTTP_ACCEPT_LANGUAGE="ko")
    assert response.status_code == 302
    assert response["Location"] == reverse("events:rsvp_thanks", args=[upcoming.uuid])
    stored = RSVP.objects.get()
    assert (stored.status, stored.people, stored.name) == ("pending", 2, "Ji-woo Kim")
    assert stored.email_hash == email_hash(canonicalize(ADDRESS), settings.SIGNER_HASH_KEY)
    assert stored.email_encrypted == "" and stored.contact_ok is False
    assert stored.consent_version == services.RSVP_CONSENT_VERSION
    message = Message.objects.get()
    assert (message.kind, message.rsvp_id) == ("rsvp-confirm", stored.pk)
    assert crypto.decrypt(message.recipient_encrypted) == ADDRESS
    assert count_on_page(client, upcoming) == 0


@pytest.mark.django_db
def test_the_same_hash_as_a_signature(client, upcoming):
    from safepassage.signatures.services import hash_email

    rsvp(client, upcoming)
    assert RSVP.objects.get().email_hash == hash_email(ADDRESS)


@pytest.mark.django_db
def test_the_address_is_kept_encrypted_only_with_consent_to_contact(client, upcoming):
    rsvp(client, upcoming, email="a@example.org", consent="only")
    rsvp(client, upcoming, email="b@example.org", consent="contact")
    only = RSVP.objects.get(contact_ok=False)
    contact = RSVP.objects.get(contact_ok=True)
    assert only.email_encrypted == ""
    assert "b@example.org" not in contact.email_encrypted
    assert crypto.decrypt(contact.email_encrypted) == "b@example.org"


# --- Duplicates -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_second_rsvp_looks_the_same_and_creates_no_row(client, upcoming):
    first = rsvp(client, upcoming)
    # Another spelling of the same Gmail mailbox, other details.
    second = rsvp(
        client, upcoming, email="rsvpperson-q7@googlemail.com", name="Someone", people="5"
    )
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert RSVP.objects.count() == 1
    stored = RSVP.objects.get()
    assert (stored.name, stored.people) == ("Ji-woo Kim", 2)  # not changed by the second
    thanks = client.get(first["Location"]).content.decode()
    assert "Please check your e-mail" in thanks
    # The existing RSVP is mailed its links again, to the address just typed.
    messages = list(Message.objects.order_by("pk"))
    assert [m.rsvp_id for m in messages] == [stored.pk, stored.pk]
    assert crypto.decrypt(messages[1].recipient_encrypted) == "rsvpperson-q7@googlemail.com"


@pytest.mark.django_db
def test_repeat_mail_is_throttled(client, upcoming, settings):
    settings.REPEAT_MAIL_MINUTES = 10
    for _ in range(4):
        assert rsvp(client, upcoming).status_code == 302
    assert RSVP.objects.count() == 1
    assert Message.objects.count() == 1


@pytest.mark.django_db
def test_the_same_person_may_come_to_two_events(client, petition, upcoming):
    other = make_event(petition.campaign, title="Second", starts_at=soon(days=40), ends_at=None)
    rsvp(client, upcoming)
    rsvp(client, other)
    assert RSVP.objects.count() == 2


@pytest.mark.django_db
def test_a_cancelled_rsvp_can_be_made_again(client, upcoming):
    rsvp(client, upcoming, people="3")
    first = RSVP.objects.get()
    services.cancel(first)
    rsvp(client, upcoming, people="1", consent="contact")
    again = RSVP.objects.get()
    assert again.pk == first.pk
    assert (again.status, again.people, again.contact_ok) == ("pending", 1, True)
    assert crypto.decrypt(again.email_encrypted) == ADDRESS
    assert Message.objects.filter(status="queued").count() == 1  # the first one was withheld


# --- Capacity -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_capacity_is_enforced_on_the_form_and_at_confirmation(client, petition):
    event = make_event(petition.campaign, starts_at=soon(), ends_at=None, capacity=5)
    rsvp(client, event, email="one@example.org", people="3")
    rsvp(client, event, email="two@example.org", people="3")
    one, two = RSVP.objects.order_by("pk")
    assert services.confirm(one) == services.Outcome.CONFIRMED
    assert "2 places left" in event_page(client, event)
    # The form refuses more people than there are places left.
    response = rsvp(client, event, email="three@example.org", people="3")
    assert "Only 2 places are left." in response.content.decode()
    assert RSVP.objects.count() == 2
    # An RSVP made while there was room cannot be confirmed once the room is gone.
    token = services.link_token("confirm", two.uuid)
    url = reverse("events:rsvp_confirm", args=[two.uuid, token])
    response = client.post(url)
    assert response.status_code == 409
    assert "the event is full" in response.content.decode()
    two.refresh_from_db()
    assert two.status == "pending"
    # Two people still fit.
    rsvp(client, event, email="four@example.org", people="2")
    four = RSVP.objects.get(people=2)
    assert services.confirm(four) == services.Outcome.CONFIRMED
    html = event_page(client, event)
    assert "This event is full." in html and 'id="rsvp-form"' not in html
    response = rsvp(client, event, email="five@example.org", people="1")
    assert "Sorry, this event is full." in response.content.decode()


# --- Links ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_links_need_the_right_token(client, upcoming):
    rsvp(client, upcoming)
    stored = RSVP.objects.get()
    wrong = services.link_token("cancel", stored.uuid)  # a real token, for another purpose
    for name in ("rsvp_confirm", "rsvp_page"):
        assert client.get(reverse(f"events:{name}", args=[stored.uuid, wrong])).status_code == 404
        assert client.post(reverse(f"events:{name}", args=[stored.uuid, "0" * 40])).status_code in (
            404,
            405,
        )
    assert (
        client.post(reverse("events:rsvp_cancel", args=[stored.uuid, "0" * 40])).status_code == 404
    )
    stored.refresh_from_db()
    assert stored.status == "pending"


@pytest.mark.django_db
def test_opening_the_confirm_link_confirms_nothing(client, upcoming):
    rsvp(client, upcoming)
    stored = RSVP.objects.get()
    url = services.link("confirm", stored)
    html = client.get(url).content.decode()
    assert 'id="confirm-button"' in html
    stored.refresh_from_db()
    assert stored.status == "pending"
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == services.link("view", stored)
    stored.refresh_from_db()
    assert stored.status == "confirmed" and stored.confirmed_at is not None
    # Confirming again is harmless.
    assert client.post(url).status_code == 302
    assert count_on_page(client, upcoming) == 2


@pytest.mark.django_db
def test_a_past_or_cancelled_event_takes_no_rsvp_and_no_confirmation(client, petition, upcoming):
    rsvp(client, upcoming)
    stored = RSVP.objects.get()
    Event.objects.filter(pk=upcoming.pk).update(status=Event.Status.CANCELLED)
    response = client.post(services.link("confirm", stored))
    assert response.status_code == 409
    assert "The event is cancelled." in response.content.decode()
    past = make_event(petition.campaign)  # 24 September 2026
    if not services.is_over(past):
        pytest.skip("the clock is before the demo's day of action")
    assert rsvp(client, past, email="late@example.org").status_code == 409
    assert not RSVP.objects.filter(event=past).exists()


@pytest.mark.django_db
def test_unlisted_events_take_rsvps_by_link(client, petition):
    event = make_event(
        petition.campaign, starts_at=soon(), ends_at=None, visibility=Event.Visibility.UNLISTED
    )
    assert rsvp(client, event).status_code == 302
    assert RSVP.objects.filter(event=event).count() == 1
    assert 'name="robots" content="noindex"' in event_page(client, event)


# --- Expiry -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_pending_rsvps_expire_after_seven_days(client, petition, upcoming):
    rsvp(client, upcoming, email="old@example.org", consent="contact")
    rsvp(client, upcoming, email="old-confirmed@example.org")
    rsvp(client, upcoming, email="recent@example.org")
    old, old_confirmed, recent = RSVP.objects.order_by("pk")
    services.confirm(old_confirmed)
    eight_days_ago = timezone.now() - timedelta(days=8)
    RSVP.objects.filter(pk__in=[old.pk, old_confirmed.pk]).update(created_at=eight_days_ago)
    assert services.expire_pending_rsvps() == 1
    assert set(RSVP.objects.values_list("pk", flat=True)) == {old_confirmed.pk, recent.pk}
    # Its mail, if not sent yet, is not sent any more and keeps no address.
    withheld = Message.objects.get(rsvp=None)
    assert (withheld.status, withheld.recipient_encrypted) == ("withheld", "")
    assert services.expire_pending_rsvps() == 0
    # A week from now the recent one goes too.
    assert services.expire_pending_rsvps(now=timezone.now() + timedelta(days=7, seconds=1)) == 1
    # The expired link says so.
    response = client.get(services.link("confirm", recent))
    assert response.status_code == 404


@pytest.mark.django_db
def test_an_old_pending_link_stops_working_before_the_sweep(client, upcoming):
    rsvp(client, upcoming)
    stored = RSVP.objects.get()
    RSVP.objects.filter(pk=stored.pk).update(created_at=timezone.now() - timedelta(days=8))
    assert client.get(services.link("confirm", stored)).status_code == 404
    assert client.post(services.link("confirm", stored)).status_code == 404
    stored.refresh_from_db()
    assert stored.status == "pending"


# --- End to end through real mail --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_double_opt_in_end_to_end(client, upcoming, smtp_server):
    assert rsvp(client, upcoming).status_code == 302
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == ADDRESS
    assert mail["Subject"] == "Please confirm your RSVP: Vigil with a hidden address"
    text = mail_text(mail)
    assert "Ji-woo Kim" in text and "with 2 people" in text
    assert services.format_span(upcoming) in text
    assert "221 Hidden Street" not in text  # not before confirming
    # Sent: the outbox keeps no address.
    message = Message.objects.get()
    assert (message.status, message.recipient_encrypted) == ("sent", "")

    confirm = link(text, "confirm")
    assert urlsplit(confirm).path == confirm
    assert 'id="confirm-button"' in client.get(confirm).content.decode()
    assert count_on_page(client, upcoming) == 0
    private_ics = own_page_link(text) + "event.ics"
    assert client.get(private_ics).status_code == 404  # not before confirming
    response = client.post(confirm)
    assert response.status_code == 302
    own = response["Location"]
    assert own == own_page_link(text)
    html = client.get(own).content.decode()
    assert "Your RSVP is confirmed" in html
    assert "221 Hidden Street" in html and "Community hall of St. Example" in html
    assert count_on_page(client, upcoming) == 2
    assert f'href="{private_ics}"' in html
    calendar: Any = icalendar.Calendar.from_ical(client.get(private_ics).content)
    [vevent] = calendar.walk("VEVENT")
    assert str(vevent["LOCATION"]) == (
        "Community hall of St. Example, 221 Hidden Street, Washington, United States"
    )
    public = event_page(client, upcoming)
    assert "221 Hidden Street" not in public and "Ji-woo Kim" not in public

    cancel = link(text, "cancel")
    assert 'id="cancel-button"' in client.get(cancel).content.decode()
    assert count_on_page(client, upcoming) == 2  # opening the link cancels nothing
    html = client.post(cancel).content.decode()
    assert "Your RSVP is cancelled" in html
    assert count_on_page(client, upcoming) == 0
    assert RSVP.objects.get().status == "cancelled"
    assert "221 Hidden Street" not in client.get(own).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_duplicate_gets_its_links_again_by_mail(client, upcoming, smtp_server):
    rsvp(client, upcoming)
    run_tasks()
    [first] = smtp_server.wait_for(1)
    client.post(link(mail_text(first), "confirm"))
    rsvp(client, upcoming, name="Someone else", people="7")
    run_tasks()
    messages = smtp_server.wait_for(2)
    assert len(messages) == 2
    second = messages[1]
    assert second["Subject"] == "Your RSVP: Vigil with a hidden address"
    text = mail_text(second)
    assert "Your RSVP is confirmed" in text
    assert link(text, "cancel") == link(mail_text(first), "cancel")
    assert RSVP.objects.count() == 1 and RSVP.objects.get().name == "Ji-woo Kim"
    assert count_on_page(client, upcoming) == 2


@pytest.mark.django_db(transaction=True)
def test_the_mail_is_in_the_rsvps_language(client, upcoming, smtp_server):
    client.post(
        reverse("events:rsvp", args=[upcoming.uuid]), rsvp_data(), HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert RSVP.objects.get().language == "ko"
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일 \S+요일", mail_text(mail)), mail_text(mail)


@pytest.mark.django_db(transaction=True)
def test_no_address_anywhere_after_sending_without_consent(client, upcoming, smtp_server):
    rsvp(client, upcoming)
    rsvp(client, upcoming, email="rsvpperson-q7@googlemail.com")  # a duplicate too
    run_tasks()
    mails = smtp_server.wait_for(2)
    client.post(link(mail_text(mails[0]), "confirm"))
    assert RSVP.objects.get().status == "confirmed"
    assert Message.objects.filter(status="sent").count() == 2
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            for row in cursor.fetchall():
                text = " ".join(str(value) for value in row).lower()
                assert not [n for n in NEEDLES if n in text], table
    stored = RSVP.objects.get()
    pages = [
        reverse("events:list", args=[upcoming.campaign.slug]),
        reverse("events:event", args=[upcoming.uuid]),
        reverse("events:event_ics", args=[upcoming.uuid]),
        reverse("events:campaign_ics", args=[upcoming.campaign.slug]),
        reverse("events:rsvp_thanks", args=[upcoming.uuid]),
        services.link("view", stored),
        services.link("cancel", stored),
    ]
    for url in pages:
        body = client.get(url).content.decode().lower()
        assert not [n for n in NEEDLES if n in body], url


@pytest.mark.django_db(transaction=True)
def test_simultaneous_duplicates_make_one_rsvp(upcoming):
    spellings = [
        ADDRESS,
        ADDRESS.lower(),
        "rsvpperson-q7@googlemail.com",
        "RSVPPERSON-Q7@gmail.com",
    ]
    spellings *= 3
    barrier = threading.Barrier(len(spellings))

    def submit(raw: str) -> int:
        try:
            barrier.wait()
            return int(rsvp(Client(), upcoming, email=raw).status_code)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(len(spellings)) as pool:
        codes = list(pool.map(submit, spellings))
    assert codes == [302] * len(spellings)
    assert RSVP.objects.count() == 1
    assert Message.objects.filter(rsvp=RSVP.objects.get()).count() == len(spellings)


@pytest.mark.django_db
def test_losing_the_race_to_insert_mails_the_winner(client, upcoming, monkeypatch):
    """The unique constraint settles a race the lookup missed (PostgreSQL's case)."""
    rsvp(client, upcoming)
    winner = RSVP.objects.get()
    original = RSVP.objects.select_for_update
    calls = []

    def first_lookup_misses(*args, **kwargs):
        calls.append(1)
        return RSVP.objects.none() if len(calls) == 1 else original(*args, **kwargs)

    monkeypatch.setattr(RSVP.objects, "select_for_update", first_lookup_misses)
    assert rsvp(client, upcoming, name="Racer").status_code == 302
    assert len(calls) == 2
    assert list(RSVP.objects.values_list("pk", "name")) == [(winner.pk, "Ji-woo Kim")]
    assert Message.objects.filter(rsvp=winner).count() == 2
