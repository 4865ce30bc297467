"""The press kit's first drafts, filled in from the campaign when it is first opened.

The title and day of action stay merge fields (they follow later changes);
the petition's summary, the government whose missions are addressed and the
member organisations' public contacts are written in, for organisers to
rewrite.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.utils.translation import gettext

from safepassage.lib import geo

if TYPE_CHECKING:
    from safepassage.campaigns.models import Campaign

SUMMARY_CHARACTERS = 600


def _plain(text: str) -> str:
    """A paragraph of the petition without merge-field braces (the kit would refuse them)."""
    return re.sub(r"\{\{|\}\}", "", text).strip()


def petition_summary(campaign: Campaign) -> tuple[str, str]:
    """(title, first paragraph) of the campaign's first petition in its default language."""
    petition = campaign.petitions.prefetch_related("texts").order_by("pk").first()
    text = petition.text(petition.default_language) if petition else None
    if text is None:
        return "", ""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.body) if p.strip()]
    first = _plain(paragraphs[0]) if paragraphs else ""
    if len(first) > SUMMARY_CHARACTERS:
        first = first[:SUMMARY_CHARACTERS].rsplit(" ", 1)[0] + " …"
    return _plain(text.title), " ".join(first.split())


def contacts(campaign: Campaign) -> str:
    """One line per member organisation with a public phone or e-mail (and its website)."""
    lines = []
    for organisation in campaign.organisations.order_by("name"):
        if organisation.phone or organisation.email:
            parts = [organisation.phone, organisation.email, organisation.website]
            lines.append(" · ".join([organisation.name, *(part for part in parts if part)]))
    return "\n".join(lines)


def default_texts(campaign: Campaign) -> dict[str, str]:
    """First drafts, in the current language, from what the campaign already says."""
    government = geo.country_name(campaign.target_government)
    title, summary = petition_summary(campaign)
    petition = f"**{title}**\n\n{summary}\n\n" if title or summary else ""
    return {
        "press_release_title": gettext(
            "{{ campaign_title }}: events in {{ events_count }} places on {{ day_of_action }}"
        ),
        "press_release_body": gettext(
            "On {{ day_of_action }}, people in many cities will gather at the embassies and "
            "consulates of %(government)s to hand over a petition addressed to "
            "{{ target_name }}, {{ target_title }}."
        )
        % {"government": government}
        + "\n\n"
        + petition
        + gettext(
            "So far {{ signatures_total }} people in {{ countries }} countries have signed "
            "it.\n\n"
            "Journalists are welcome at every event. Times are local:\n\n"
            "{{ events_list }}\n\n"
            "The petition can be signed until the day of action at this address:\n\n"
            "{{ sign_url }}"
        ),
        "flyer_headline": gettext("{{ campaign_title }} — {{ day_of_action }}"),
        "flyer_body": (f"{summary}\n\n" if summary else "")
        + gettext(
            "**Join us** on {{ day_of_action }} at one of the events below, and sign the "
            "petition addressed to {{ target_name }}: {{ signatures_total }} people already have."
        ),
        "contacts": contacts(campaign),
    }
