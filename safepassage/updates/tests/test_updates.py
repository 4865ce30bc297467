"""Updates to consenting supporters: real SMTP (aiosmtpd), the organiser's pages, unsubscribe."""

from __future__ import annotations

import logging
import re
from email.message import EmailMessage

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from conftest import mail_text, run_tasks
from personas import coordinator_of, organiser_of
from safepassage.events.models import RSVP, Event
from safepassage.lib import crypto
from safepassage.outbox.models import Message
from safepassage.reports.models import AfterActionReport
from safepassage.signatures import services as signing
from safepassage.signatures.models import Signature
from safepassage.signatures.services import hash_email
from safepassage.updates import audience, services
from safepassage.updates.models import Unsubscribe, Update, UpdateText
from safepassage.updates.tests.helpers import signer

pytestmark = pytest.mark.django_db(transaction=True)

UPDATES, CONTACT, COUNT = (
    Signature.Contact.UPDATES,
    Signature.Contact.CONTACT,
    Signature.Contact.COUNT_ONLY,
)
ADDRESSES = {
    "ko": "korean.reader@example.org",
    "ja": "japanese.reader@example.org",
    "fr": "french.reader@example.org",
    "count": "counted.only@example.org",
    "pending": "not.confirmed@example.org",
    "withdrawn": "withdrawn.reader@example.org",
}
SUBJECTS = {"en": "News of the campaign", "ko": "캠페인 소식", "ja": "キャンペーンのお知らせ"}


@pytest.fixture(autouse=True)
def _no_pacing(settings):
    settings.UPDATE_MAIL_PER_MINUTE = 0
    settings.REPEAT_MAIL_MINUTES = 0


@pytest.fixture
def people(petition):
    made = {
        "ko": signer(petition, ADDRESSES["ko"], UPDATES, "ko"),
        "ja": signer(petition, ADDRESSES["ja"], CONTACT, "ja"),
        "fr": signer(petition, ADDRESSES["fr"], UPDATES, "fr"),
        "count": signer(petition, ADDRESSES["count"], COUNT, "en"),
        "pending": signer(
            petition, ADDRESSES["pending"], UPDATES, "en", status=Signature.Status.PENDING
        ),
        "withdrawn": signer(petition, ADDRESSES["withdrawn"], UPDATES, "ko"),
    }
    signing.erase(made.pop("withdrawn"), reason="withdrawn")
    return made


@pytest.fixture
def organiser_client(petition):
    client = Client()
    client.force_login(organiser_of(petition.campaign, "olga-updates"))
    return client


def write_update(client: Client, campaign, texts: dict[str, str], **settings: str) -> Update:
    index = reverse("updates:index", args=[campaign.slug])
    data = {"audience": "updates", "default_language": "en", **settings}
    response = client.post(index, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    update = Update.objects.latest("pk")
    edit = reverse("updates:edit", args=[campaign.slug, update.pk])
    for language, subject in texts.items():
        body = f"**{subject}**: the petition was delivered. [More](https://example.org/more)"
        response = client.post(
            edit,
            {
                "save_text": "1",
                "text-language": language,
                "text-subject": subject,
                "text-body": body,
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    return update


def by_recipient(messages: list[EmailMessage]) -> dict[str, EmailMessage]:
    return {str(m["To"]): m for m in messages}


def test_an_update_reaches_consenting_signers_once_each_in_their_language(
    petition, people, organiser_client, smtp_server, caplog
):
    caplog.set_level(logging.DEBUG)
    campaign = petition.campaign
    update = write_update(organiser_client, campaign, SUBJECTS)
    pages = []
    edit = organiser_client.get(reverse("updates:edit", args=[campaign.slug, update.pk]))
    pages.append(edit.content.decode())
    # The preview is the sanitised Markdown; the exact count is shown before sending.
    assert "<strong>캠페인 소식</strong>" in pages[-1]
    assert "It would go to 3 people now." in pages[-1]
    send_url = reverse("updates:send", args=[campaign.slug, update.pk])
    page = organiser_client.get(send_url)
    pages.append(page.content.decode())
    assert "It goes to exactly 3 people." in pages[-1]
    assert organiser_client.post(send_url).status_code == 302
    # A second click sends nothing more; the queuing task run twice queues nobody twice.
    organiser_client.post(send_url)
    run_tasks()
    services.queue(update.pk)
    assert Message.objects.filter(kind=Message.Kind.UPDATE).count() == 3
    mails = by_recipient(smtp_server.wait_for(3))
    assert set(mails) == {ADDRESSES["ko"], ADDRESSES["ja"], ADDRESSES["fr"]}
    assert mails[ADDRESSES["ko"]]["Subject"] == SUBJECTS["ko"]
    assert mails[ADDRESSES["ja"]]["Subject"] == SUBJECTS["ja"]
    # No French text: the update's default language.
    assert mails[ADDRESSES["fr"]]["Subject"] == SUBJECTS["en"]
    for mail in mails.values():
        unsubscribe = str(mail["List-Unsubscribe"]).strip()
        assert re.fullmatch(
            r"<http://[^>]+/unsubscribe/signature/[0-9a-f-]{36}/[0-9a-f]{40}/>", unsubscribe
        )
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = mail_text(mail)
        assert unsubscribe.strip("<>") in text
        assert re.search(r"/s/[0-9a-f-]{36}/withdraw/[0-9a-f]{40}/", text)
        html_part = mail.get_body(preferencelist=("html",))
        assert html_part is not None
        html = html_part.get_content()
        assert "<strong>" in html and 'href="https://example.org/more"' in html
    # Progress: every message sent, and each message's address wiped.
    progress_page = organiser_client.get(reverse("updates:edit", args=[campaign.slug, update.pk]))
    pages.append(progress_page.content.decode())
    assert re.search(r'id="progress-sent">3<', pages[-1])
    assert re.search(r'id="progress-queued">0<', pages[-1])
    assert not Message.objects.exclude(recipient_encrypted="").exists()
    pages.append(
        organiser_client.get(reverse("updates:index", args=[campaign.slug])).content.decode()
    )
    # The application's log records (the test's own SMTP sink logs what it receives).
    logs = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("mail.log"))
    for address in ADDRESSES.values():
        assert address not in logs
        for page_text in pages:
            assert address not in page_text


def test_the_contact_audience_leaves_out_those_who_asked_for_updates_only(petition, people):
    update = Update.objects.create(campaign=petition.campaign, audience=Update.Audience.CONTACT)
    assert audience.count(update) == 1
    update.audience = Update.Audience.UPDATES
    assert audience.count(update) == 3


def test_a_person_who_signed_two_petitions_gets_one_update(petition, people):
    from safepassage.campaigns.models import Petition

    second = Petition.objects.create(campaign=petition.campaign, slug="second-petition")
    signer(second, ADDRESSES["ko"], UPDATES, "ko")
    update = Update.objects.create(campaign=petition.campaign)
    assert audience.count(update) == 3


def test_one_click_unsubscribe_needs_no_cookie_and_changes_consent_at_once(
    petition, people, organiser_client, smtp_server
):
    update = write_update(organiser_client, petition.campaign, {"en": "Hello"})
    organiser_client.post(reverse("updates:send", args=[petition.campaign.slug, update.pk]))
    run_tasks()
    mail = by_recipient(smtp_server.wait_for(3))[ADDRESSES["ko"]]
    url = str(mail["List-Unsubscribe"]).strip().strip("<>").split("127.0.0.1:8000", 1)[-1]
    # A mail program: no cookie, no CSRF token, only the RFC 8058 body.
    stranger = Client(enforce_csrf_checks=True)
    page = stranger.get(url)
    assert page.status_code == 200 and 'id="unsubscribe-button"' in page.content.decode()
    signature = Signature.objects.get(pk=people["ko"].pk)
    assert signature.contact == UPDATES  # a GET changes nothing
    response = stranger.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    signature.refresh_from_db()
    assert signature.contact == COUNT and signature.email_encrypted == ""
    assert signature.status == Signature.Status.CONFIRMED  # still counted
    [entry] = Unsubscribe.objects.all()
    assert (entry.kind, entry.ref, entry.via, entry.previous) == (
        "signature",
        signature.pk,
        "one-click",
        "updates",
    )
    # The next update leaves them out; a forged token does nothing.
    assert audience.count(Update.objects.create(campaign=petition.campaign)) == 2
    forged = re.sub(r"[0-9a-f]{40}/$", "0" * 40 + "/", url)
    assert stranger.post(forged, {"List-Unsubscribe": "One-Click"}).status_code == 404


def test_unsubscribing_withholds_the_update_not_yet_sent(
    settings, petition, people, organiser_client
):
    settings.UPDATE_MAIL_PER_MINUTE = 1  # paced: the later messages wait
    update = write_update(organiser_client, petition.campaign, {"en": "Hello"})
    organiser_client.post(reverse("updates:send", args=[petition.campaign.slug, update.pk]))
    services.queue(update.pk)
    due = sorted(Message.objects.filter(kind="update").values_list("next_attempt_at", flat=True))
    assert [(t - due[0]).total_seconds() for t in due] == [0, 60, 120]
    services.unsubscribe("signature", str(people["ja"].uuid), "page")
    message = Message.objects.get(signature=people["ja"], kind=Message.Kind.UPDATE)
    assert message.status == Message.Status.WITHHELD and message.recipient_encrypted == ""


def test_rsvps_and_coordinators_are_audiences_of_their_own(petition, smtp_server):
    campaign = petition.campaign
    event = Event.objects.create(
        campaign=campaign,
        kind="vigil",
        title="Vigil",
        city="Washington",
        country="US",
        starts_at=timezone.now(),
        time_zone="America/New_York",
    )

    def rsvp(email: str, contact_ok: bool, status: str) -> RSVP:
        return RSVP.objects.create(
            event=event,
            name="Someone",
            email_hash=hash_email(email),
            email_encrypted=crypto.encrypt(email) if contact_ok else "",
            contact_ok=contact_ok,
            consent_version="x",
            language="ko",
            status=status,
        )

    rsvp("coming@example.org", True, RSVP.Status.CONFIRMED)
    rsvp("silent@example.org", False, RSVP.Status.CONFIRMED)
    rsvp("cancelled@example.org", True, RSVP.Status.CANCELLED)
    update = Update.objects.create(campaign=campaign, audience=Update.Audience.RSVPS, event=event)
    UpdateText.objects.create(update=update, language="en", subject="See you", body="Soon.")
    UpdateText.objects.create(update=update, language="ko", subject="곧 만나요", body="곧.")
    coordinator_of(campaign, "cora-updates", "US", "Washington")
    coordinators = Update.objects.create(campaign=campaign, audience=Update.Audience.COORDINATORS)
    UpdateText.objects.create(update=coordinators, language="en", subject="Team", body="Hi.")
    assert services.send(update, None) == 1
    expected = len(audience.coordinators(coordinators))
    assert "cora-updates@team.example" in {u.email for u in audience.coordinators(coordinators)}
    assert services.send(coordinators, None) == expected
    run_tasks()
    mails = by_recipient(smtp_server.wait_for(1 + expected))
    assert mails["coming@example.org"]["Subject"] == "곧 만나요"
    assert "/r/" in mail_text(mails["coming@example.org"])  # the cancel link
    assert "silent@example.org" not in mails and "cancelled@example.org" not in mails
    assert "/unsubscribe/coordinator/" in str(
        mails["cora-updates@team.example"]["List-Unsubscribe"]
    )


def test_a_test_goes_to_the_organiser_alone(petition, people, organiser_client, smtp_server):
    update = write_update(organiser_client, petition.campaign, {"ko": SUBJECTS["ko"]})
    url = reverse("updates:test", args=[petition.campaign.slug, update.pk])
    assert organiser_client.post(url, {"language": "ko"}).status_code == 302
    run_tasks()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "olga-updates@team.example"
    assert mail["Subject"] == f"[테스트] {SUBJECTS['ko']}"  # the mail's own words in Korean too
    update.refresh_from_db()
    assert update.status == Update.Status.DRAFT


def test_the_published_report_becomes_an_update_in_one_click(petition, organiser_client):
    campaign = petition.campaign
    AfterActionReport.objects.create(
        campaign=campaign,
        title="What happened on 24 September",
        status=AfterActionReport.Status.PUBLISHED,
        snapshot={
            "title": "What happened on 24 September",
            "introduction": "We delivered.\n\nMore text.",
            "data": {"totals": {"signatures": 1234, "countries": 12, "deliveries": 9, "cities": 7}},
        },
        snapshot_sha256="a" * 64,
        published_at=timezone.now(),
    )
    index = organiser_client.get(reverse("updates:index", args=[campaign.slug]))
    assert 'id="from-report"' in index.content.decode()
    response = organiser_client.post(reverse("updates:from_report", args=[campaign.slug]))
    assert response.status_code == 302
    update = Update.objects.get()
    [text] = update.texts.all()
    assert text.subject == "What happened on 24 September"
    assert "1234" in text.body and "We delivered." in text.body
    assert reverse("reports:report", args=[campaign.slug]) in text.body
    assert update.audience == Update.Audience.UPDATES and update.status == Update.Status.DRAFT
