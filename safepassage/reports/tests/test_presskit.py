"""The press kit: merge fields, the press release and the one-page flyer, and who may see them.

The world is the accounts tests' day of action (events in Washington and
Chicago with RSVPs whose names must never be printed), plus a vigil in Seoul
at 11:00 local time, a cancelled event and an unlisted one. PDFs are read
back with pdftotext and pypdf, and the flyer is rasterised with pdftoppm.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
import subprocess
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
import segno
from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from conftest import require
from safepassage.accounts.tests.world import NAMES_A, NAMES_B, UNCONFIRMED, World, build_world
from safepassage.events.models import Event
from safepassage.letters.models import Letterhead
from safepassage.reports import presskit
from safepassage.reports.models import PressKit
from safepassage.signatures.models import CampaignStats

CONTACTS = "Mina Presswell\n+82 2 555 0147\npress@example.org"
CANCELLED_CITY = "Cancelledburg"
UNLISTED_CITY = "Hiddenhausen"


@pytest.fixture(autouse=True)
def _fresh(settings: Any, tmp_path: Any) -> None:
    cache.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://petition.example.org"


def event(world: World, city: str, country: str, zone: str, hour: int, **fields: Any) -> Event:
    year = world.campaign.year
    return Event.objects.create(
        campaign=world.campaign,
        kind=Event.Kind.VIGIL,
        title=f"Vigil in {city}",
        city=city,
        country=country,
        starts_at=dt.datetime(year, 9, 24, hour, tzinfo=zoneinfo.ZoneInfo(zone)),
        time_zone=zone,
        **fields,
    )


@pytest.fixture
def world(petition: Any) -> World:
    w = build_world(petition, sign=False)
    event(w, "Seoul", "KR", "Asia/Seoul", 11)
    event(w, CANCELLED_CITY, "DE", "Europe/Berlin", 12, status=Event.Status.CANCELLED)
    event(w, UNLISTED_CITY, "DE", "Europe/Berlin", 14, visibility=Event.Visibility.UNLISTED)
    CampaignStats.objects.update_or_create(
        campaign=w.campaign, defaults={"total": 12345, "countries": 17}
    )
    return w


@pytest.fixture
def kit(world: World) -> PressKit:
    kit = presskit.press_kit_for(world.campaign)
    kit.contacts = CONTACTS
    kit.save()
    return kit


def sign_url(world: World) -> str:
    return "https://petition.example.org" + reverse("signatures:sign", args=[world.petition.slug])


def pdftotext(pdf: bytes, tmp_path: Path, name: str = "out") -> str:
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    file = tmp_path / f"{name}.pdf"
    file.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(file), "-"], capture_output=True, check=True
    )
    return " ".join(result.stdout.decode().split())


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# --- Merge fields -------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_values_come_from_the_campaign(world):
    values = presskit.values_for(world.campaign, "en")
    assert values.fields["day_of_action"] == f"September 24, {world.campaign.year}"
    assert values.fields["signatures_total"] == "12,345"
    assert values.fields["countries"] == "17"
    assert values.fields["events_count"] == "3"
    assert values.fields["sign_url"] == sign_url(world)
    assert values.fields["target_name"] == "Xi Jinping"
    assert [line.text() for line in values.events] == [
        "Seoul, South Korea — 24 September, 11:00 KST",
        "Chicago, United States — 24 September, 11:00 CDT",
        "Washington, United States — 24 September, 20:00 EDT",
    ]


@pytest.mark.django_db
def test_only_public_not_cancelled_events_are_listed(world):
    cities = {e.city for e in presskit.public_events(world.campaign)}
    assert cities == {"Seoul", "Chicago", "Washington"}


@pytest.mark.django_db
def test_values_are_escaped_and_the_events_list_is_a_list(world):
    world.campaign.title = "*Bold* <b>campaign</b>"
    values = presskit.values_for(world.campaign, "en")
    markdown = presskit.merge_markdown(
        "Title: {{ campaign_title }}\n{{ events_list }}\n{{ nope }}", values
    )
    assert "\\*Bold\\* &lt;b&gt;campaign&lt;/b&gt;" in markdown
    assert "\n- Seoul, South Korea — 24 September, 11:00 KST\n" in markdown
    assert "{{ nope }}" in markdown


def test_unknown_and_malformed_fields_are_found():
    text = "{{ day_of_action }} {{ mission_name }} {{ two words }} {{ sign_url}} {{ open"
    assert presskit.unknown_fields(text) == ["mission_name", "{{ two words }}", "{{ open"]


# --- The press release ------------------------------------------------------------------


@pytest.mark.django_db
def test_the_press_release_has_the_merged_values_and_no_rsvp_names(world, kit, tmp_path):
    text = pdftotext(presskit.render_press_release(kit, language="en"), tmp_path)
    assert f"September 24, {world.campaign.year}" in text
    assert "12,345" in text
    assert "Seoul, South Korea — 24 September, 11:00 KST" in text
    assert sign_url(world) in text
    for line in CONTACTS.splitlines():
        assert line in text
    for hidden in (CANCELLED_CITY, UNLISTED_CITY, *NAMES_A, *NAMES_B, *UNCONFIRMED):
        assert hidden not in text


@pytest.mark.django_db
def test_the_press_release_is_printed_on_a_designed_letterhead(world, kit, tmp_path):
    organisation = world.partner_org
    organisation.postal_address = "12 Letterhead Lane"
    organisation.save()
    kit.letterhead = Letterhead.objects.create(
        organisation=organisation,
        name="Main",
        kind=Letterhead.Kind.DESIGNED,
        footer_lines="Board: Florentyna Footerova",
    )
    kit.save()
    text = pdftotext(presskit.render_press_release(kit, language="en"), tmp_path)
    assert organisation.name in text
    assert "12 Letterhead Lane" in text
    assert "Florentyna Footerova" in text


@pytest.mark.django_db
def test_the_pdfs_are_the_same_bytes_for_the_same_data(kit):
    assert presskit.render_press_release(kit, language="en") == presskit.render_press_release(
        kit, language="en"
    )
    flyer = presskit.render_flyer(kit, language="en")
    assert flyer == presskit.render_flyer(kit, language="en")
    assert b"CreationDate" not in flyer
    assert b"ModDate" not in flyer


# --- The flyer -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_flyer_is_one_page_with_events_qr_url_and_contacts(world, kit, tmp_path):
    flyer = presskit.render_flyer(kit, language="en")
    assert pages(flyer) == 1
    text = pdftotext(flyer, tmp_path)
    assert "Seoul, South Korea — 24 September, 11:00 KST" in text
    assert "Washington, United States — 24 September, 20:00 EDT" in text
    assert sign_url(world) in text
    assert "12,345" in text
    for line in CONTACTS.splitlines():
        assert line in text
    for hidden in (CANCELLED_CITY, UNLISTED_CITY, *NAMES_A, *NAMES_B, *UNCONFIRMED):
        assert hidden not in text


@pytest.mark.django_db
def test_with_thirty_events_the_flyer_stays_one_page_and_counts_the_rest(world, kit, tmp_path):
    for n in range(27):
        event(world, f"Town{n:02d}", "JP", "Asia/Tokyo", 9 + n % 10)
    flyer = presskit.render_flyer(kit, language="en")
    assert pages(flyer) == 1
    text = pdftotext(flyer, tmp_path)
    shown = set(re.findall(r"Town\d\d", text))
    assert len(shown) == presskit.FLYER_EVENT_LIMITS[0] - 1  # Seoul is among the first twelve
    assert f"and {30 - presskit.FLYER_EVENT_LIMITS[0]} more events" in text
    assert sign_url(world) in text


@pytest.mark.django_db
def test_a_flyer_text_too_long_for_a_page_still_makes_one_page(kit):
    kit.flyer_body = "\n\n".join(["A long paragraph of words " * 30] * 20)
    kit.save()
    assert pages(presskit.render_flyer(kit, language="en")) == 1


def svg_matrix(svg: str) -> set[tuple[int, int]]:
    """The dark modules drawn by segno's SVG path (scale 1, border 4), as (row, column)."""
    d = re.search(r' d="([^"]+)"', svg)
    assert d is not None
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?: (-?[\d.]+))?", d.group(1)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            for column in range(int(x), int(x + float(a))):
                dark.add((int(y - 4), column - 4))
            x += float(a)
    return dark


@pytest.mark.django_db
def test_the_qr_code_encodes_the_sign_url(world):
    url = sign_url(world)
    expected = {
        (r, c)
        for r, row in enumerate(segno.make(url, error="m", micro=False).matrix)
        for c, value in enumerate(row)
        if value
    }
    assert svg_matrix(presskit.qr_svg(url)) == expected


def densest_square(pdf: bytes, tmp_path: Path, side: int = 60) -> float:
    """The largest share of near-black pixels in any ``side``-pixel square of page one at 50 dpi."""
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    (tmp_path / "flyer.pdf").write_bytes(pdf)
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", str(tmp_path / "flyer.pdf"), str(tmp_path / "p")],
        check=True,
    )
    with Image.open(tmp_path / "p-1.png") as image:
        grey = image.convert("L")
    width, height = grey.size
    data = list(grey.tobytes())
    # Summed-area table of near-black pixels (the QR code is drawn in pure black).
    table = [[0] * (width + 1) for _ in range(height + 1)]
    for y in range(height):
        row = 0
        for x in range(width):
            row += data[y * width + x] < 40
            table[y + 1][x + 1] = table[y][x + 1] + row
    best = 0
    for y in range(0, height - side, 4):
        for x in range(0, width - side, 4):
            n = table[y + side][x + side] - table[y][x + side] - table[y + side][x] + table[y][x]
            best = max(best, n)
    return best / side**2


@pytest.mark.django_db
def test_the_qr_code_is_drawn_large_on_the_flyer(world, kit, tmp_path):
    # 45 mm is about 89 px at 50 dpi, its 25 modules without the quiet zone about 67 px:
    # a 60-pixel square inside it is about half black; text never comes close.
    assert densest_square(presskit.render_flyer(kit, language="en"), tmp_path) > 0.35
    world.campaign.petitions.all().delete()
    assert densest_square(presskit.render_flyer(kit, language="en"), tmp_path) < 0.2


# --- The editor and permissions ------------------------------------------------------------


def urls(world: World) -> list[str]:
    slug = world.campaign.slug
    return [
        reverse("reports:press_kit", args=[slug]),
        reverse("reports:press_kit_release", args=[slug]),
        reverse("reports:press_kit_flyer", args=[slug]),
    ]


@pytest.mark.django_db
def test_organisers_get_the_editor_and_the_pdfs(world):
    client = world.clients["organiser"]
    edit, release, flyer = urls(world)
    page = client.get(edit)
    assert page.status_code == 200
    assert release in page.content.decode()
    assert flyer in page.content.decode()
    for url, name in ((release, "press-release"), (flyer, "flyer")):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == (
            f'inline; filename="{world.campaign.slug}-{name}.pdf"'
        )
        assert response.content.startswith(b"%PDF")


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["partner", "coordinator_a", "outsider"])
def test_everyone_else_on_the_team_is_refused(world, persona):
    for url in urls(world):
        assert world.clients[persona].get(url).status_code == 403
    assert world.clients[persona].post(urls(world)[0], {}).status_code == 403


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_log_in(world):
    for url in urls(world):
        response = world.clients["anonymous"].get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def form_data(kit: PressKit, **changes: str) -> dict[str, str]:
    data = {
        "press_release_title": kit.press_release_title,
        "press_release_body": kit.press_release_body,
        "flyer_headline": kit.flyer_headline,
        "flyer_body": kit.flyer_body,
        "contacts": kit.contacts,
        "letterhead": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
def test_saving_keeps_the_texts_and_who_saved_them(world, kit, tmp_path):
    client = world.clients["organiser"]
    edit = urls(world)[0]
    response = client.post(
        edit, form_data(kit, flyer_headline="Come on {{ day_of_action }}", contacts="Ola Press")
    )
    assert response.status_code == 302
    kit.refresh_from_db()
    assert kit.flyer_headline == "Come on {{ day_of_action }}"
    assert kit.updated_by == world.users["organiser"]
    text = pdftotext(client.get(urls(world)[2]).content, tmp_path)
    assert f"Come on September 24, {world.campaign.year}" in text
    assert "Ola Press" in text


@pytest.mark.django_db
def test_an_unknown_field_is_reported_and_not_saved(world, kit):
    client = world.clients["organiser"]
    before = kit.press_release_body
    response = client.post(
        urls(world)[0],
        form_data(kit, press_release_body="Dear {{ mission_name }}, {{ sign_url }}"),
    )
    assert response.status_code == 400
    assert "Unknown merge fields: mission_name" in response.content.decode()
    kit.refresh_from_db()
    assert kit.press_release_body == before


@pytest.mark.django_db
def test_only_the_campaigns_organisations_letterheads_can_be_chosen(world, kit):
    from safepassage.campaigns.models import Organisation

    stranger = Organisation.objects.create(name="Stranger NGO", slug="stranger-ngo")
    foreign = Letterhead.objects.create(organisation=stranger, name="X", kind="designed")
    ours = Letterhead.objects.create(organisation=world.partner_org, name="Y", kind="designed")
    client = world.clients["organiser"]
    bad = client.post(urls(world)[0], form_data(kit, letterhead=str(foreign.pk)))
    assert bad.status_code == 400
    good = client.post(urls(world)[0], form_data(kit, letterhead=str(ours.pk)))
    assert good.status_code == 302
    kit.refresh_from_db()
    assert kit.letterhead == ours
    assert settings.SITE_URL == "https://petition.example.org"


# --- Published on the campaign page ---------------------------------------------------------


def _count_weasyprint(monkeypatch: Any) -> list[int]:
    import weasyprint

    calls: list[int] = []
    original = weasyprint.HTML

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(weasyprint, "HTML", counting)
    return calls


@pytest.mark.django_db
def test_a_published_kit_is_public_and_printed_once_for_the_same_data(
    world, kit, client, monkeypatch
):
    release = reverse("reports:press_release", args=[world.campaign.slug])
    flyer = reverse("reports:flyer", args=[world.campaign.slug])
    campaign_page = reverse("reports:campaign", args=[world.campaign.slug])
    assert client.get(release).status_code == 404
    assert client.get(flyer).status_code == 404
    assert 'id="press-kit"' not in client.get(campaign_page).content.decode()

    kit.published = True
    kit.save()
    cache.clear()
    html = client.get(campaign_page).content.decode()
    assert release in html and flyer in html

    printed = _count_weasyprint(monkeypatch)
    first = client.get(release)
    assert first.status_code == 200 and first["Content-Type"] == "application/pdf"
    assert "public" in first["Cache-Control"]
    assert not first.cookies
    after_first = len(printed)
    assert after_first >= 1
    again = client.get(release)
    assert again.content == first.content
    assert len(printed) == after_first  # the same data: served from the cache, not printed
    assert pages(client.get(flyer).content) == 1

    # Any change to what is printed makes a new PDF, never a stale one.
    CampaignStats.objects.filter(campaign=world.campaign).update(total=54321)
    changed = client.get(release)
    assert changed.content != first.content
    assert len(printed) > after_first + 1

    # A campaign back in draft publishes nothing.
    world.campaign.status = world.campaign.Status.DRAFT
    world.campaign.save()
    assert client.get(release).status_code == 404


@pytest.mark.django_db
def test_organisers_edit_the_kit_in_the_admin_and_nobody_else_sees_it(world, kit):
    organiser = world.clients["organiser"]
    url = reverse("admin:reports_presskit_change", args=[kit.pk])
    page = organiser.get(url)
    assert page.status_code == 200
    form = {
        "published": "on",
        "press_release_title": "Vigils in {{ events_count }} cities",
        "press_release_body": kit.press_release_body,
        "flyer_headline": "{{ nonsense }}",
        "flyer_body": kit.flyer_body,
        "contacts": kit.contacts,
        "letterhead": "",
    }
    refused = organiser.post(url, form)
    assert (
        refused.status_code == 200 and "Unknown merge fields: nonsense" in refused.content.decode()
    )
    form["flyer_headline"] = "{{ campaign_title }}"
    assert organiser.post(url, form).status_code == 302
    kit.refresh_from_db()
    assert kit.published and kit.updated_by == world.users["organiser"]
    for role in ("coordinator_a", "partner", "anonymous"):
        assert world.clients[role].get(url).status_code in (302, 403), role
    stats = reverse("admin:signatures_campaignstats_changelist")
    assert organiser.get(stats).status_code == 200
