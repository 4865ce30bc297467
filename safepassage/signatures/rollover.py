"""Next year's campaign, the signatures app's part: the partner sites that embed the form.

Signatures are never copied. The origins a campaign allows to frame its
signing form (``EmbedOrigin``) are the partners' websites, which stay the
same from year to year; each partner still has to update the petition's
address in its snippet.
"""

from __future__ import annotations

from safepassage.campaigns.models import Campaign
from safepassage.signatures.embeds import EmbedOrigin


def copy_for_rollover(old: Campaign, new: Campaign) -> int:
    """Copy the allowed embed origins; how many."""
    origins = [
        EmbedOrigin(campaign=new, organisation_id=row.organisation_id, origin=row.origin)
        for row in EmbedOrigin.objects.filter(campaign=old)
    ]
    EmbedOrigin.objects.bulk_create(origins)
    return len(origins)
