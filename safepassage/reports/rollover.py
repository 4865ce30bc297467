"""Next year's campaign, the reports app's part: the press kit, and the old year's archive.

The press kit's texts and contacts are copied unpublished (their merge fields
fill in next year's dates). The after-action report is not copied: each year
writes its own. The old campaign is archived with its figures counted one
last time, so the archive (archive.py) shows its final totals; its report
stays as it is (a published one stays public, a draft can still be published).
"""

from __future__ import annotations

from typing import Any

from safepassage.campaigns.models import Campaign
from safepassage.reports.models import PressKit
from safepassage.reports.stats import refresh_stats


def copy_for_rollover(old: Campaign, new: Campaign, user: Any = None) -> bool:
    """Copy the press kit, if the old campaign has one; whether it had."""
    kit = PressKit.objects.filter(campaign=old).first()
    if kit is None:
        return False
    PressKit.objects.create(
        campaign=new,
        press_release_title=kit.press_release_title,
        press_release_body=kit.press_release_body,
        flyer_headline=kit.flyer_headline,
        flyer_body=kit.flyer_body,
        contacts=kit.contacts,
        letterhead=kit.letterhead,
        published=False,
        updated_by=user if getattr(user, "is_authenticated", False) else None,
    )
    return True


def archive(campaign: Campaign) -> None:
    """Move the campaign to the archive: signing ends, its final figures are counted."""
    refresh_stats(campaign)
    campaign.status = Campaign.Status.ARCHIVED
    campaign.save(update_fields=["status"])
