"""The demo campaign: Save North Korean Refugees Day.

The petition (in the coalition's ten languages: core/demo_texts.py) and the
letter below were written for safepassage from the public facts the campaign
relies on; they reproduce no organisation's letter.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from safepassage.campaigns.models import (
    Campaign,
    CampaignText,
    Organisation,
    Petition,
    PetitionText,
    forget_cached_petitions,
)
from safepassage.core.demo_texts import CAMPAIGN, PETITION
from safepassage.letters.models import Letter, Letterhead, LetterVersion, Signatory

LETTER_SUBJECT_EN = "North Korean refugees in China: a petition to {{ target_name }}"
# Markdown: two spaces before a line break keep the recipient's lines apart.
LETTER_BODY_EN = (
    "{{ date }}\n\n"
    "{{ mission_name }}  \n"
    "{{ mission_address }}\n\n"
    """Your Excellency,

On {{ day_of_action }}, Save North Korean Refugees Day, people in many
countries ask the same thing of {{ target_name }}, {{ target_title }}: that
North Koreans who flee to China are no longer sent back against their will.

With this letter we hand over a petition signed by {{ signatures_total }}
people; {{ signatures_mission }} of them live in the area your mission
serves. Their names follow this letter, except those of signers who asked
to be counted only.

People returned to North Korea face imprisonment, forced labour and torture,
as the United Nations Commission of Inquiry reported in 2014. China is a
party to the 1951 Refugee Convention and its 1967 Protocol. We respectfully
ask that the forced returns stop, that refugees may travel on to the Republic
of Korea or another country of their choice, and that the UN High
Commissioner for Refugees be allowed to reach them.

We would be grateful if you would forward this petition to {{ target_name }}.
"""
)
LETTER_CLOSING_EN = "Respectfully yours,"

ORGANISATIONS = [
    ("Demo North Korea Freedom Coalition", "demo-nk-freedom-coalition", "https://example.org/"),
    ("Demo Refugee Rescue Network Tokyo", "demo-refugee-rescue-tokyo", "https://example.net/"),
]


# The demo's day of action is this many days after the day it is loaded: a few
# weeks ahead, so the demo always looks like a campaign in progress.
DEMO_LEAD_DAYS = 24


def demo_day(today: dt.date | None = None) -> dt.date:
    return (today or timezone.localdate()) + dt.timedelta(days=DEMO_LEAD_DAYS)


@transaction.atomic
def load_demo(year: int | None = None, *, today: dt.date | None = None) -> Petition:
    """Create (or update) the demo campaign; safe to run again.

    Without ``year`` the day of action is ``demo_day(today)``, a few weeks
    ahead (loading it again later moves it ahead again); with ``year``, the
    real 24 September of that year (the tests' fixed campaign).
    """
    day = dt.date(year, 9, 24) if year else demo_day(today)
    year = day.year
    campaign, _ = Campaign.objects.update_or_create(
        slug=f"save-north-korean-refugees-day-{year}",
        defaults={
            "title": CAMPAIGN["en"].title,
            "year": year,
            "day_of_action": day,
            "target_person": CAMPAIGN["en"].target_person,
            "target_title": CAMPAIGN["en"].target_title,
            "target_government": "CN",
            "status": Campaign.Status.OPEN,
        },
    )
    # One statement each for the texts in every language (new, or written over);
    # bulk_create sends no signal, so the cached petition is forgotten below.
    CampaignText.objects.bulk_create(
        [
            CampaignText(campaign=campaign, language=language, **text._asdict())
            for language, text in CAMPAIGN.items()
            if language != "en"  # the campaign's own language
        ],
        update_conflicts=True,
        unique_fields=["campaign", "language"],
        update_fields=list(CAMPAIGN["en"]._fields),
    )
    for name, slug, website in ORGANISATIONS:
        organisation, _ = Organisation.objects.get_or_create(
            slug=slug, defaults={"name": name, "website": website}
        )
        campaign.organisations.add(organisation)
    petition, _ = Petition.objects.update_or_create(
        slug=f"safe-passage-{year}",
        defaults={"campaign": campaign, "signature_goal": 10_000, "default_language": "en"},
    )
    PetitionText.objects.bulk_create(
        [
            PetitionText(petition=petition, language=language, title=title, body=body)
            for language, (title, body) in PETITION.items()
        ],
        update_conflicts=True,
        unique_fields=["petition", "language"],
        update_fields=["title", "body"],
    )
    forget_cached_petitions([petition.slug])
    _demo_letter(campaign)
    return petition


def _demo_letter(campaign: Campaign) -> None:
    """An approved sample letter and a designed letterhead, made once."""

    coalition = Organisation.objects.get(slug=ORGANISATIONS[0][1])
    Letterhead.objects.get_or_create(
        organisation=coalition,
        name="Standard",
        defaults={
            "kind": Letterhead.Kind.DESIGNED,
            "footer_lines": "Board: A. Example (chair) · B. Example (treasurer) · C. Example",
        },
    )
    letter, created = Letter.objects.get_or_create(
        campaign=campaign, organisation=None, language="en"
    )
    if not created:
        return
    version = LetterVersion.objects.create(
        letter=letter,
        number=1,
        subject=LETTER_SUBJECT_EN,
        body=LETTER_BODY_EN,
        closing=LETTER_CLOSING_EN,
        status=LetterVersion.Status.APPROVED,
        reviewed_at=timezone.now(),
    )
    Signatory.objects.create(version=version, name="The coalition's coordinators", position=0)
    letter.approved_version = version
    letter.save(update_fields=["approved_version"])
