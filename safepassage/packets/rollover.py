"""Next year's campaign, the packets app's part: who may download packets.

Built packets are never copied (they print last year's signatures); whether
partner organisations' editors may download their missions' packets is a
standing decision of the coalition, so it carries over.
"""

from __future__ import annotations

from safepassage.campaigns.models import Campaign
from safepassage.packets.models import PacketSharing


def copy_for_rollover(old: Campaign, new: Campaign) -> bool:
    """Copy the packet-sharing choice; whether partners may download in the new campaign."""
    sharing = PacketSharing.objects.filter(campaign=old).first()
    if sharing is None:
        return False
    PacketSharing.objects.create(campaign=new, partners_may_download=sharing.partners_may_download)
    return sharing.partners_may_download
