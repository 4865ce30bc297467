"""The after-action report: its figures, the editor, publishing, and who sees what.

The world is the accounts tests' day of action (an organiser, two city
coordinators, a partner editor; a delivered embassy and a planned consulate
in the United States) with signers whose names and addresses are unusual
enough to be found anywhere they should not be.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from PIL import Image

from personas import route
from safepassage.accounts.tests.world import World, build_world
from safepassage.campaigns.models import Campaign
from safepassage.deliveries import services as delivery_services
from safepassage.deliveries.models import Delivery, Evidence, Response
from safepassage.directory.models import Mission
from safepassage.lib.uploads import clean_image
from safepassage.reports import report as reports
from safepassage.reports.models import AfterActionReport
from safepassage.signatures.models import CampaignStats, PaperTally, Signature

SIGNER_NAMES = ("Zephyrine", "Quackenbush-Oyelaran", "Bartholomew", "Vandersnoot")
SIGNER_EMAILS = ("zephyrine.quack@example.org", "barty.vandersnoot@example.net")
SIGNER_CITY = "Xanaduville"
COORDINATOR_NOTE = "Private note: the guard was rude"
SECRET_HANDOVER = "Carla Capitol"  # who handed the petition over (world.delivery_w)


def sign(world: World, n: int, mission: Mission | None = None, **fields: Any) -> Signature:
    """A counted signature of the world's petition; with ``mission``, routed there."""
    values: dict[str, Any] = {
        "first_name": SIGNER_NAMES[0],
        "last_name": SIGNER_NAMES[1],
        "city": SIGNER_CITY,
        "region": "US-DC",
        "country": "US",
        "publish_name": True,
        "contact": Signature.Contact.COUNT_ONLY,
        "email_hash": f"{n:064d}",
        "consent_version": "1",
        "consent_hash": "x",
        "status": Signature.Status.CONFIRMED,
        "confirmed_at": dt.datetime(2026, 9, 20, 12, tzinfo=dt.UTC),
        **fields,
    }
    signature = Signature.objects.create(petition=world.petition, **values)
    if mission is not None:
        route(signature, mission)
    return signature


def photo_bytes(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(autouse=True)
def _fresh(settings: Any, tmp_path: Any) -> None:
    fresh(settings, tmp_path)


def fresh(settings: Any, tmp_path: Any) -> None:
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(petition: Any) -> World:
    return make_world(petition)


def make_world(petition: Any) -> World:
    """Seven counted signatures (four US, two KR, one DE), and some that do not count."""
    w = build_world(petition, sign=False)
    for n in range(1, 5):
        sign(w, n, mission=w.embassy if n < 4 else w.consulate)
    sign(
        w,
        5,
        first_name=SIGNER_NAMES[2],
        last_name=SIGNER_NAMES[3],
        publish_name=False,
        country="KR",
        city="Seoul",
        region="KR-11",
        confirmed_at=dt.datetime(2026, 9, 22, 9, tzinfo=dt.UTC),
        email_encrypted="x",
        contact=Signature.Contact.CONTACT,
    )
    sign(w, 6, country="KR", city="Busan", region="KR-26")
    sign(w, 7, country="DE", city="Berlin", region="DE-BE")
    sign(w, 8, status=Signature.Status.PENDING, confirmed_at=None, country="FR")
    sign(w, 9, review_reason="throttled", country="JP")
    PaperTally.objects.create(petition=petition, source="Clipboard", country="US", count=12)
    # The consulate refused; the embassy replied by letter.
    Delivery.objects.filter(pk=w.delivery_c.pk).update(
        status=Delivery.Status.REFUSED,
        delivered_at=dt.datetime(2026, 9, 24, 16, tzinfo=dt.UTC),
        notes=COORDINATOR_NOTE,
    )
    Response.objects.create(
        delivery=w.delivery_w,
        received_on=dt.date(2026, 10, 2),
        channel=Response.Channel.LETTER,
        summary="The embassy acknowledged receipt and declined to comment.",
    )
    # The campaign in an earlier year, with its statistics.
    past = Campaign.objects.create(
        title="Save North Korean Refugees Day 2025",
        slug="save-north-korean-refugees-day-2025",
        year=2025,
        day_of_action=dt.date(2025, 9, 24),
        target_person="Xi Jinping",
        target_title="President",
        target_government="CN",
        status=Campaign.Status.ARCHIVED,
    )
    CampaignStats.objects.create(campaign=past, total=5, paper=2, countries=3)
    return w


def add_photo(world: World, *, publish: bool, caption: str = "Outside the embassy") -> Evidence:
    return delivery_services.add_evidence(
        world.delivery_w,
        clean_image(photo_bytes()),
        kind=Evidence.Kind.PHOTO,
        caption=caption,
        publish=publish,
        user=world.users["organiser"],
    )


def publish(world: World, **fields: Any) -> AfterActionReport:
    client = world.clients["organiser"]
    data = {"title": "What we did in 2026", "introduction": "We *delivered*.", **fields}
    for name in AfterActionReport.SECTIONS:
        data.setdefault(name, "on")
    response = client.post(reverse("reports:report_edit", args=[world.campaign.slug]), {**data})
    assert response.status_code == 302, response.content[:500]
    data["action"] = "publish"
    response = client.post(reverse("reports:report_edit", args=[world.campaign.slug]), data)
    assert response.status_code == 302
    return AfterActionReport.objects.get(campaign=world.campaign)


def public_html(client: Any, world: World) -> str:
    response = client.get(reverse("reports:report", args=[world.campaign.slug]))
    assert response.status_code == 200
    return str(response.content.decode())


def country_table(html: str) -> str:
    return html.split('id="by-country"', 1)[1].split("</table>", 1)[0]


# --- The figures --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_totals_are_the_counted_signatures_with_paper_apart(world):
    data = reports.build_data(world.campaign, refresh=True)
    counted = Signature.objects.counted().filter(petition__campaign=world.campaign)
    assert data["totals"]["signatures"] == counted.count() == 7
    assert data["totals"]["paper"] == 12
    assert data["totals"]["countries"] == 3
    assert data["by_country"] == [["US", 4], ["KR", 2], ["DE", 1]]
    assert data["per_day"] == {"2026-09-20": 6, "2026-09-22": 1}
    assert data["totals"]["missions_reached"] == 2
    assert data["totals"]["unrouted"] == 3


@pytest.mark.django_db
def test_the_missions_table_matches_the_deliveries(world):
    data = reports.build_data(world.campaign, refresh=True)
    rows = {row["key"]: row for row in data["missions"]}
    deliveries = Delivery.objects.filter(campaign=world.campaign).select_related("mission")
    assert {d.mission.key for d in deliveries} <= set(rows)
    for delivery in deliveries:
        row = rows[delivery.mission.key]
        assert row["status"] == delivery.status
        assert row["name"] == delivery.mission.name
        assert row["city"] == delivery.mission.city
    assert rows["test-emb-us"]["signatures"] == 3
    assert rows["test-cg-chicago"]["signatures"] == 1
    assert rows["test-emb-us"]["responses"] == [
        {
            "received_on": "2026-10-02",
            "channel": "letter",
            "summary": "The embassy acknowledged receipt and declined to comment.",
        }
    ]
    # The delivery was at 12:00 in Chicago: the local date, not UTC's.
    assert rows["test-cg-chicago"]["delivered_on"] == "2026-09-24"
    assert data["totals"]["refusals"] == 1
    assert data["totals"]["deliveries"] == 1
    assert data["totals"]["responses"] == 1


@pytest.mark.django_db
def test_events_are_the_public_ones_by_city_and_years_come_from_the_archive(world):
    world.event_b.visibility = "unlisted"
    world.event_b.save()
    data = reports.build_data(world.campaign)
    assert [(c["city"], len(c["events"])) for c in data["events"]] == [("Washington", 1)]
    assert data["events"][0]["events"][0]["title"] == "Candlelight vigil at the embassy"
    assert [(y["year"], y["signatures"], y["current"]) for y in data["years"]] == [
        (2025, 7, False),
        (2026, 19, True),
    ]


# --- Publishing ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_draft_is_not_public(world):
    anonymous = world.clients["anonymous"]
    slug = world.campaign.slug
    assert anonymous.get(reverse("reports:report", args=[slug])).status_code == 404
    assert anonymous.get(reverse("reports:report_pdf", args=[slug])).status_code == 404
    # Saved but not published: still nothing for the public, a preview for organisers.
    response = world.clients["organiser"].post(
        reverse("reports:report_edit", args=[slug]),
        {"title": "Draft title", "action": "save", "show_map": "on"},
    )
    assert response.status_code == 302
    assert anonymous.get(reverse("reports:report", args=[slug])).status_code == 404
    coordinator = world.clients["coordinator_a"]
    assert coordinator.get(reverse("reports:report", args=[slug])).status_code == 404
    preview = world.clients["organiser"].get(reverse("reports:report", args=[slug]))
    assert preview.status_code == 200
    assert "Draft title" in preview.content.decode()
    assert "only organisers can see it" in preview.content.decode()


@pytest.mark.django_db
def test_publishing_freezes_the_report_until_it_is_refreshed(world):
    report = publish(world)
    assert report.is_published and report.published_by == world.users["organiser"]
    html = public_html(world.clients["anonymous"], world)
    assert re.search(r'id="total-signatures">\s*7\s*<', html)
    assert re.search(r'id="total-paper">\s*12\s*<', html)
    assert "<em>delivered</em>" in html  # the Markdown introduction, rendered

    for n in range(20, 25):
        sign(world, n, country="CA", city="Toronto", region="CA-ON")
    cache.clear()
    CampaignStats.objects.filter(campaign=world.campaign).delete()
    html = public_html(world.clients["anonymous"], world)
    assert re.search(r'id="total-signatures">\s*7\s*<', html)
    assert "Canada" not in country_table(html)
    # Editing the draft does not change the public report either.
    client = world.clients["organiser"]
    edit_url = reverse("reports:report_edit", args=[world.campaign.slug])
    client.post(edit_url, {"title": "A new title", "action": "save"})
    cache.clear()
    assert "A new title" not in public_html(world.clients["anonymous"], world)
    assert "A new title" in client.get(edit_url).content.decode()  # the preview shows it

    # Publishing only the text keeps the frozen figures...
    client.post(edit_url, {"title": "A new title", "show_map": "on", "action": "publish_text"})
    html = public_html(world.clients["anonymous"], world)
    assert "A new title" in html
    assert re.search(r'id="total-signatures">\s*7\s*<', html)
    # ...refreshing counts again.
    client.post(edit_url, {"title": "A new title", "show_countries": "on", "action": "publish"})
    html = public_html(world.clients["anonymous"], world)
    assert re.search(r'id="total-signatures">\s*12\s*<', html)
    assert "Canada" in country_table(html)


@pytest.mark.django_db
def test_unpublishing_takes_the_report_off_the_site(world):
    publish(world)
    slug = world.campaign.slug
    response = world.clients["organiser"].post(
        reverse("reports:report_edit", args=[slug]), {"action": "unpublish"}
    )
    assert response.status_code == 302
    cache.clear()
    anonymous = world.clients["anonymous"]
    assert anonymous.get(reverse("reports:report", args=[slug])).status_code == 404
    assert anonymous.get(reverse("reports:report_pdf", args=[slug])).status_code == 404


@pytest.mark.django_db
def test_toggles_hide_sections(world):
    publish(world, show_missions="", show_map="")
    html = public_html(world.clients["anonymous"], world)
    assert 'id="by-mission"' not in html
    assert "wm-map" not in html
    assert 'id="by-country"' in html


@pytest.mark.django_db
def test_the_page_has_the_map_the_chart_the_tables_and_the_years(world):
    publish(world)
    html = public_html(world.clients["anonymous"], world)
    assert 'class="wm-map"' in html and 'class="sp-chart"' in html
    assert 'class="sp-chart sp-years"' in html
    assert "South Korea" in html or "Korea, Republic of" in html
    assert "Embassy of the PRC in the United States" in html
    assert "delivered in person" in html and "refused" in html
    assert "The embassy acknowledged receipt and declined to comment." in html
    assert "Candlelight vigil at the embassy" in html
    assert "Save North Korean Refugees Day 2025" in html
    assert 'href="/c/save-north-korean-refugees-day-2026/report.pdf"' in html
    assert "<script" not in re.split(r"<main[^>]*>", html, maxsplit=1)[1].split("</main>", 1)[0]


# --- Privacy -------------------------------------------------------------------------


def assert_private(text: str) -> None:
    for secret in (*SIGNER_NAMES, *SIGNER_EMAILS, SIGNER_CITY, COORDINATOR_NOTE):
        assert secret not in text, secret
    assert SECRET_HANDOVER not in text
    for rsvp in ("Ana Alpha-Attendee", "Bo Bravo-Attendee", "ana.alpha@example.org"):
        assert rsvp not in text
    assert "@example." not in text


@pytest.mark.django_db
def test_no_signer_rsvp_or_coordinator_detail_in_the_report(world):
    add_photo(world, publish=True)
    publish(world)
    report = AfterActionReport.objects.get()
    assert_private(str(report.snapshot))
    assert_private(public_html(world.clients["anonymous"], world))
    edit_url = reverse("reports:report_edit", args=[world.campaign.slug])
    editor = world.clients["organiser"].get(edit_url)
    assert_private(editor.content.decode().replace("organiser-olga", ""))


# --- Photos --------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_published_photos_are_shown_and_served(world):
    shown = add_photo(world, publish=True, caption="Handing over the petition")
    hidden = add_photo(world, publish=False, caption="Faces of the team")
    publish(world)
    html = public_html(world.clients["anonymous"], world)
    assert "Handing over the petition" in html and "Faces of the team" not in html
    anonymous = world.clients["anonymous"]
    slug = world.campaign.slug
    response = anonymous.get(reverse("reports:report_photo", args=[slug, shown.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert not image.getexif()
    assert anonymous.get(reverse("reports:report_photo", args=[slug, hidden.pk])).status_code == 404
    # Withdrawn after publishing: gone from the page and no longer served.
    delivery_services.set_evidence_publish(shown, False, user=world.users["organiser"])
    assert anonymous.get(reverse("reports:report_photo", args=[slug, shown.pk])).status_code == 404
    assert "Handing over the petition" not in public_html(anonymous, world)


# --- Who may edit --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("organiser", 200),
        ("coordinator_a", 403),
        ("coordinator_b", 403),
        ("partner", 403),
        ("outsider", 403),
    ],
)
def test_only_organisers_edit_the_report(world, role, status):
    url = reverse("reports:report_edit", args=[world.campaign.slug])
    client = world.clients[role]
    assert client.get(url).status_code == status
    response = client.post(url, {"title": "Hijacked", "action": "publish"})
    assert response.status_code == (302 if role == "organiser" else 403)
    published = AfterActionReport.objects.filter(status="published").exists()
    assert published == (role == "organiser")


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_the_login_page(world):
    url = reverse("reports:report_edit", args=[world.campaign.slug])
    response = world.clients["anonymous"].post(url, {"title": "x", "action": "publish"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not AfterActionReport.objects.exists()
