"""Next year's campaign, the campaigns app's part: the campaign itself and its petitions.

core/rollover.py runs the whole copy in one transaction; each app copies what
it owns. Nothing here reads or writes a signature.
"""

from __future__ import annotations

import datetime as dt
import re

from safepassage.campaigns.models import Campaign, CampaignText, Petition, PetitionText


def same_day_next_year(day: dt.date) -> dt.date:
    """The default day of action of next year's campaign (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def next_slug(slug: str, old_year: int, new_year: int, taken: set[str]) -> str:
    """``slug`` with its year replaced (or appended), made unique against ``taken``."""
    years = list(re.finditer(rf"(?<!\d){old_year}(?!\d)", slug))
    if years:
        last = years[-1]
        base = slug[: last.start()] + str(new_year) + slug[last.end() :]
    else:
        base = f"{slug}-{new_year}"
    base = base[:76]
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


# What a copy sets anew; every other column (targets, settings) is taken over.
SET_ANEW = frozenset({"id", "title", "slug", "year", "day_of_action", "status", "created_at"})


def new_campaign(old: Campaign, *, title: str, slug: str, day_of_action: dt.date) -> Campaign:
    """A draft copy of ``old`` for the new day: targets, settings, member organisations."""
    values = {
        field.attname: getattr(old, field.attname)
        for field in Campaign._meta.concrete_fields
        if field.name not in SET_ANEW
    }
    campaign = Campaign.objects.create(
        **values,
        title=title,
        slug=slug,
        year=day_of_action.year,
        day_of_action=day_of_action,
        status=Campaign.Status.DRAFT,
    )
    campaign.organisations.set(old.organisations.all())
    # The addressee in each language carries over; each title follows the new one's.
    CampaignText.objects.bulk_create(
        CampaignText(
            campaign=campaign,
            language=text.language,
            title=text.title.replace(str(old.year), str(campaign.year)),
            target_title=text.target_title,
            target_person=text.target_person,
        )
        for text in old.texts.all()
    )
    return campaign


def copy_for_rollover(old: Campaign, new: Campaign, shift: dt.timedelta) -> dict[int, Petition]:
    """The petitions with their texts in every language, their times moved by ``shift``.

    Signatures, paper tallies, erasures and moderation stay with the old petitions.
    Returns the new petition of each old one, by the old one's id.
    """
    taken = set(Petition.objects.values_list("slug", flat=True))
    copies: dict[int, Petition] = {}
    for petition in old.petitions.order_by("pk").prefetch_related("texts"):
        slug = next_slug(petition.slug, old.year, new.year, taken)
        taken.add(slug)
        copy = Petition.objects.create(
            campaign=new,
            slug=slug,
            signature_goal=petition.signature_goal,
            opens_at=petition.opens_at + shift if petition.opens_at else None,
            closes_at=petition.closes_at + shift if petition.closes_at else None,
            default_language=petition.default_language,
            bot_challenge=petition.bot_challenge,
        )
        PetitionText.objects.bulk_create(
            PetitionText(petition=copy, language=text.language, title=text.title, body=text.body)
            for text in petition.texts.all()
        )
        copies[petition.pk] = copy
    return copies
