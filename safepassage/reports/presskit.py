"""The press kit: a press release and a one-page flyer, made from the campaign.

Organisers write both texts once, in Markdown with merge fields
(``{{ day_of_action }}``, ``{{ events_list }}``...; the same tiny syntax as
letters, see ``letters.merge``), and the values come from the campaign: its
day of action, the counted signatures (the cached ``CampaignStats``), its
public events with their local times, and the address of the signing page.

The press release is printed like a letter, on the chosen letterhead
(designed, uploaded or none) by ``letters.rendering``; the flyer has its own
template and is always exactly one A4 page, with a QR code (drawn by segno
as inline SVG) to the signing page. Only public, not-cancelled events are
listed, and nothing about the people who RSVP'd is read. Equal data give
equal bytes: no dates are written and the file identifier is a hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from safepassage.events.models import Event
from safepassage.letters import merge, rendering
from safepassage.letters.merge import (
    FIELD,
    escape_markdown,
    format_count,
    long_date,
    merge_plain,
)
from safepassage.lib import geo
from safepassage.lib.markdown import render_markdown
from safepassage.lib.pdf import Resources, first_page, html_to_pdf, page_count
from safepassage.reports.presskit_defaults import default_texts

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise

    from safepassage.campaigns.models import Campaign, Petition
    from safepassage.reports.models import PressKit

FLYER_TEMPLATE = "reports/presskit/flyer.html"
QR_SIZE_MM = 45
# Made PDFs are kept this long in the cache, named by a hash of everything
# printed: the same kit and figures are not printed twice, and any change
# (a new signature in the total, an edited text) prints afresh.
PDF_CACHE_SECONDS = 3600
# The flyer lists at most this many events, then "and N more events"; if the
# page still overflows (a long text), fewer, down to none.
FLYER_EVENT_LIMITS = (12, 6, 0)

MERGE_FIELDS: dict[str, _StrPromise] = {
    "campaign_title": _("The campaign's title."),
    "day_of_action": _("The day of action, written out."),
    "target_name": _("The person the petition is addressed to."),
    "target_title": _("That person's title."),
    "signatures_total": _("The number of counted signatures so far."),
    "countries": _("The number of countries the signatures come from."),
    "events_count": _("The number of public events."),
    "sign_url": _("The address of the signing page."),
    "events_list": _(
        "A list of the public events: city, country and local start time. "
        "Put it on a line of its own."
    ),
}
# The kit's texts that may hold merge fields (checked for unknown ones when saved).
MERGED_FIELDS = ("press_release_title", "press_release_body", "flyer_headline", "flyer_body")
# Fields whose value is Markdown already (its parts escaped), not text to escape.
BLOCK_FIELDS = frozenset({"events_list"})


# --- Merge fields ---------------------------------------------------------------------


def unknown_fields(text: str) -> list[str]:
    """Field names the press kit does not know, and malformed fields, each once, in order."""
    return merge.unknown_fields(text, MERGE_FIELDS)


@dataclass(frozen=True)
class EventLine:
    """One public event as the press reads it: where, and when in local time."""

    city: str
    country: str
    when: str

    def text(self) -> str:
        return f"{self.city}, {self.country} — {self.when}"


@dataclass(frozen=True)
class Values:
    """Everything the press kit's merge fields and templates need, as text."""

    fields: dict[str, str]  # plain values, events_list as one line per event
    events: tuple[EventLine, ...]
    sign_url: str
    more: int = 0  # events left out of ``events`` (the flyer's short list)

    def shortened(self, shown: int) -> Values:
        kept = self.events[:shown]
        return replace(self, events=kept, more=self.more + len(self.events) - len(kept))

    def events_markdown(self) -> str:
        listed = "\n".join("- " + escape_markdown(line.text()) for line in self.events)
        if self.more > 0:
            listed += "\n\n" + escape_markdown(more_events(self.more))
        return listed


def more_events(count: int) -> str:
    return ngettext("and %(count)d more event", "and %(count)d more events", count) % {
        "count": count
    }


def public_events(campaign: Campaign) -> QuerySet[Event]:
    """The events the press may hear about: listed publicly, not drafts, not cancelled."""
    return (
        Event.objects.filter(campaign=campaign, visibility=Event.Visibility.PUBLIC)
        .exclude(status__in=[Event.Status.DRAFT, Event.Status.CANCELLED])
        .order_by("starts_at", "pk")
    )


def _month_day(event: Event, language: str) -> str:
    local = event.local_start()
    with translation.override(language):
        code = (translation.get_language() or language).lower()
        # English's MONTH_DAY_FORMAT is "F j"; the press in most places writes day first.
        pattern = "j F" if code.startswith("en") else "MONTH_DAY_FORMAT"
        day = formats.date_format(local.date(), pattern)
    return f"{day}, {local:%H:%M} {local.tzname() or event.time_zone}"


def event_line(event: Event, language: str) -> EventLine:
    return EventLine(
        city=event.city,
        country=geo.country_name(event.country, language),
        when=_month_day(event, language),
    )


def signing_petition(campaign: Campaign) -> Petition | None:
    """The campaign's first open petition (any petition if none is open yet)."""
    petitions = list(campaign.petitions.order_by("slug"))
    return next((p for p in petitions if p.is_open()), petitions[0] if petitions else None)


def sign_url(campaign: Campaign) -> str:
    petition = signing_petition(campaign)
    if petition is None:
        return ""
    return str(settings.SITE_URL) + reverse("signatures:sign", args=[petition.slug])


def values_for(campaign: Campaign, language: str) -> Values:
    from safepassage.reports.stats import stats_for

    stats = stats_for(campaign)
    events = tuple(event_line(event, language) for event in public_events(campaign))
    url = sign_url(campaign)
    fields = {
        "campaign_title": campaign.title,
        "day_of_action": long_date(campaign.day_of_action, language),
        "target_name": campaign.target_person,
        "target_title": campaign.target_title,
        "signatures_total": format_count(stats.total, language),
        "countries": format_count(stats.countries, language),
        "events_count": format_count(len(events), language),
        "sign_url": url,
        "events_list": "\n".join(line.text() for line in events),
    }
    return Values(fields=fields, events=events, sign_url=url)


def merge_markdown(text: str, values: Values) -> str:
    """Markdown ``text`` with its fields replaced: values escaped, the events list as a list.

    Unknown fields stay as written, so a mistake shows in the preview.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in BLOCK_FIELDS:
            # A list must stand in paragraphs of its own to be read as one.
            listed = values.events_markdown()
            return "\n\n" + listed + "\n\n" if listed else ""
        fields = values.fields
        return escape_markdown(fields[name]) if name in fields else match.group(0)

    return FIELD.sub(substitute, text)


def merge_line(text: str, values: Values) -> str:
    """A title or headline with its fields replaced, plain (the template escapes it)."""
    events = "; ".join(line.text() for line in values.events)
    return merge_plain(text, {**values.fields, "events_list": events})


# --- Defaults --------------------------------------------------------------------------


def press_kit_for(campaign: Campaign) -> PressKit:
    """The campaign's press kit, created with the default texts on first use."""
    from safepassage.reports.models import PressKit

    kit = PressKit.objects.filter(campaign=campaign).first()
    if kit is None:
        kit, _created = PressKit.objects.get_or_create(
            campaign=campaign, defaults=default_texts(campaign)
        )
    return kit


# --- Rendering --------------------------------------------------------------------------


def contact_lines(kit: PressKit) -> list[str]:
    return [line.strip() for line in kit.contacts.splitlines() if line.strip()]


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an inline SVG element (quiet zone included), sized by CSS."""
    import segno

    code = segno.make(url, error="m", micro=False)
    svg: str = code.svg_inline(
        scale=1, border=4, omitsize=True, title=gettext("QR code of the signing page")
    )
    return svg


def _language() -> str:
    return translation.get_language() or "en"


def _release_html(kit: PressKit, values: Values, language: str) -> str:
    """The press release's text as the letter template's body (sanitised HTML)."""
    with translation.override(language):
        parts = [
            '<p class="dateline"><strong>{}</strong> — {}</p>'.format(
                escape(gettext("For immediate release")), escape(values.fields["day_of_action"])
            ),
            render_markdown(merge_markdown(kit.press_release_body, values)),
        ]
        if values.events and not _mentions(kit.press_release_body, "events_list"):
            parts.append(f"<h3>{escape(gettext('Events (local times)'))}</h3>")
            parts.append(render_markdown(values.events_markdown()))
        if values.sign_url and not _mentions(kit.press_release_body, "sign_url"):
            parts.append(f"<h3>{escape(gettext('How to sign'))}</h3>")
            parts.append(f"<p>{escape(values.sign_url)}</p>")
        contacts = contact_lines(kit)
        if contacts:
            parts.append(f"<h3>{escape(gettext('Press contact'))}</h3>")
            parts.append(linebreaks("\n".join(contacts), autoescape=True))
    return "\n".join(parts)


def _mentions(text: str, field: str) -> bool:
    return field in {match.group(1) for match in FIELD.finditer(text)}


def render_press_release(kit: PressKit, *, language: str | None = None) -> bytes:
    """The press release as PDF bytes, on the kit's letterhead (or headed by the campaign)."""
    language = language or _language()
    campaign = kit.campaign
    values = values_for(campaign, language)
    title = merge_line(kit.press_release_title, values)
    text = rendering.LetterText(
        subject=title, body_html=_release_html(kit, values, language), closing=""
    )
    return rendering.render_html_pdf(
        text,
        letterhead=kit.letterhead,
        sender=campaign.title,
        language=language,
        title=title or campaign.title,
        resources=Resources(),
        cache_seconds=PDF_CACHE_SECONDS,
    )


def _flyer_head(kit: PressKit, resources: Resources) -> dict[str, Any]:
    """The letterhead's head when it is designed; the campaign's title otherwise."""
    letterhead = kit.letterhead
    if letterhead is not None and letterhead.kind == "designed":
        return rendering.letterhead_head(letterhead, kit.campaign.title, resources)
    name = letterhead.organisation.name if letterhead is not None else kit.campaign.title
    return {"kind": "plain", "name": name}


def _flyer_html(
    kit: PressKit,
    values: Values,
    *,
    language: str,
    head: Mapping[str, Any],
    shown: int,
) -> str:
    values = values.shortened(shown)
    with translation.override(language):
        return render_to_string(
            FLYER_TEMPLATE,
            {
                "lang": language,
                "direction": "rtl"
                if language.split("-")[0].lower() in rendering.RTL_LANGUAGES
                else "ltr",
                "title": merge_line(kit.flyer_headline, values) or kit.campaign.title,
                "headline": merge_line(kit.flyer_headline, values),
                "body_html": render_markdown(merge_markdown(kit.flyer_body, values)),
                "head": head,
                "accent": rendering.accent_colour(kit.letterhead),
                "events": values.events,
                "more": more_events(values.more) if values.more else "",
                "show_events": not _mentions(kit.flyer_body, "events_list"),
                "qr_svg": qr_svg(values.sign_url) if values.sign_url else "",
                "qr_size": QR_SIZE_MM,
                "sign_url": values.sign_url,
                "contacts": contact_lines(kit),
            },
        )


def render_flyer(kit: PressKit, *, language: str | None = None) -> bytes:
    """The flyer as one A4 page of PDF.

    Up to ``FLYER_EVENT_LIMITS[0]`` events are listed and the rest counted
    ("and 18 more events"); if the page still overflows, fewer events are
    listed, and a text too long even then is cut at the end of the page.
    """
    language = language or _language()
    values = values_for(kit.campaign, language)
    resources = Resources()
    head = _flyer_head(kit, resources)
    pdf = b""
    for limit in FLYER_EVENT_LIMITS:
        html = _flyer_html(kit, values, language=language, head=head, shown=limit)
        pdf = html_to_pdf(html, resources, cache_seconds=PDF_CACHE_SECONDS)
        if page_count(pdf) == 1:
            return pdf
    return first_page(pdf)


def filename(campaign: Campaign, document: str) -> str:
    """A download name that needs no quoting: the slug is [-a-zA-Z0-9_] already."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "-", campaign.slug)
    return f"{safe}-{document}.pdf"
