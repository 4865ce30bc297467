"""Whose packets a person may download, and which they may have built again.

Packets list signers' names, so each person gets the fewest (brief, section 3):

- an organiser: every packet of the campaign, and every page about builds;
- a city coordinator: the packets of the missions they deliver to, the same
  missions as their deliveries (``deliveries.permissions.deliveries_for``):
  the missions assigned to them, the missions of the events assigned to them
  and the missions in the cities assigned to them; they may have those built
  again ("build this mission now");
- a partner organisation's editor, only where an organiser allows it for the
  campaign (``PacketSharing``): the packets of the missions at which their
  organisation hosts an event; download only.

Nobody else gets any. Checked on the server by every packet view and by the
dashboard's list of packets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from safepassage.accounts.permissions import (
    coordinator_scope,
    editable_organisations,
    is_organiser,
)
from safepassage.campaigns.models import Campaign
from safepassage.directory.models import Mission
from safepassage.events.models import Event
from safepassage.packets.models import PacketSharing


@dataclass(frozen=True)
class PacketAccess:
    """What one person may do with one campaign's packets."""

    organiser: bool = False
    # Missions whose packets they may download / have built again (besides an organiser's all).
    download: frozenset[int] = field(default_factory=frozenset)
    rebuild: frozenset[int] = field(default_factory=frozenset)

    @property
    def none(self) -> bool:
        return not (self.organiser or self.download)

    def may_download(self, mission_id: int) -> bool:
        return self.organiser or mission_id in self.download

    def may_rebuild(self, mission_id: int) -> bool:
        return self.organiser or mission_id in self.rebuild


def coordinator_missions(user: Any, campaign: Campaign) -> set[int]:
    """The missions a coordinator delivers to in the campaign (the rule of their deliveries)."""
    scope = coordinator_scope(user, campaign)
    if scope.empty:
        return set()
    missions = set(scope.missions)
    missions |= {
        mission_id
        for mission_id in Event.objects.filter(campaign=campaign, pk__in=scope.events).values_list(
            "mission_id", flat=True
        )
        if mission_id is not None
    }
    in_countries = Mission.objects.filter(host_country__in=scope.countries)
    missions |= {
        pk
        for pk, country, city in in_countries.values_list("pk", "host_country", "city")
        if scope.has_city(country, city)
    }
    return missions


def partner_missions(user: Any, campaign: Campaign) -> set[int]:
    """The missions where the editor's organisations host an event, if organisers allow it."""
    organisations = editable_organisations(user, campaign)
    if not organisations or not PacketSharing.partners_allowed(campaign.pk):
        return set()
    return {
        mission_id
        for mission_id in Event.objects.filter(
            campaign=campaign, host_id__in=organisations, mission__isnull=False
        ).values_list("mission_id", flat=True)
        if mission_id is not None
    }


def packet_access(user: Any, campaign: Campaign) -> PacketAccess:
    if is_organiser(user, campaign):
        return PacketAccess(organiser=True)
    coordinated = frozenset(coordinator_missions(user, campaign))
    return PacketAccess(
        download=coordinated | frozenset(partner_missions(user, campaign)),
        rebuild=coordinated,
    )
