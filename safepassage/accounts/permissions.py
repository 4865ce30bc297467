"""Who may see and change what: one place, checked on the server for every view.

Brief, section 3: organisers see everything of their campaign; a city
coordinator sees the events, RSVPs and deliveries of the cities, missions
and events assigned to them and nothing else; a partner organisation
editor works on their organisation's letterhead, letters and events; the
public sees counts, maps, events, the directory and published reports.
Superusers are organisers of every campaign.

Every check is scoped to one campaign: a role, an assignment or an event in
another campaign grants nothing here. Inactive accounts have no rights.

Cities are compared the same way everywhere (``fold_city``: Unicode NFKC,
collapsed white space, full case folding), in Python rather than with the
database's case-insensitive match: SQLite's only folds ASCII letters while
PostgreSQL's folds all of Unicode, so "München" would have been in a
coordinator's scope on one database and not on the other, and the list of
events could disagree with the RSVP-name check.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404

from safepassage.accounts.models import Assignment, Role

# A campaign, or its primary key. accounts sits below campaigns (docs/architecture.md):
# it names neither the model nor its module, not even for type checking.
CampaignRef = Model | int


def _campaigns() -> QuerySet[Any]:
    """Every campaign, reached through the roles' foreign key.

    accounts sits below campaigns (docs/architecture.md): like
    get_user_model() for users, the model comes from the relation, not an import.
    """
    model: Any = Role._meta.get_field("campaign").related_model
    return model.objects.all()  # type: ignore[no-any-return]


def _authenticated(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def _campaign_id(campaign: CampaignRef) -> int:
    return campaign if isinstance(campaign, int) else campaign.pk


def fold_city(city: str) -> str:
    """The form in which two spellings of a city name are compared."""
    return " ".join(unicodedata.normalize("NFKC", city).split()).casefold()


def fold_country(country: str) -> str:
    return country.strip().upper()


def has_role(user: Any, campaign: CampaignRef, kind: str) -> bool:
    if not _authenticated(user):
        return False
    return Role.objects.filter(user=user, campaign_id=_campaign_id(campaign), kind=kind).exists()


def role_kinds(user: Any, campaign: CampaignRef) -> set[str]:
    """The kinds of role the user holds in the campaign (superusers: organiser)."""
    if not _authenticated(user):
        return set()
    kinds = set(
        Role.objects.filter(user=user, campaign_id=_campaign_id(campaign)).values_list(
            "kind", flat=True
        )
    )
    if user.is_superuser:
        kinds.add(Role.Kind.ORGANISER)
    return kinds


def is_organiser(user: Any, campaign: CampaignRef) -> bool:
    if not _authenticated(user):
        return False
    return bool(user.is_superuser) or has_role(user, campaign, Role.Kind.ORGANISER)


def require_organiser(user: Any, campaign: CampaignRef) -> None:
    """For organisers' pages: 404 to people without a role in the campaign, 403 to other roles."""
    kinds = role_kinds(user, campaign)
    if not kinds:
        raise Http404
    if Role.Kind.ORGANISER not in kinds:
        raise PermissionDenied


def organiser_campaigns(user: Any) -> QuerySet[Any]:
    """Campaigns the user organises (all of them for superusers): for admin querysets."""
    if not _authenticated(user):
        return _campaigns().none()
    if user.is_superuser:
        return _campaigns()
    return _campaigns().filter(roles__user=user, roles__kind=Role.Kind.ORGANISER).distinct()


def editable_organisations(user: Any, campaign: CampaignRef) -> set[int]:
    """Organisations whose material (letterhead, letters, events) the user may edit."""
    if not _authenticated(user):
        return set()
    return set(
        Role.objects.filter(
            user=user,
            campaign_id=_campaign_id(campaign),
            kind=Role.Kind.PARTNER_EDITOR,
            organisation__isnull=False,
        ).values_list("organisation_id", flat=True)
    )


@dataclass(frozen=True)
class Scope:
    """What a coordinator looks after in one campaign."""

    cities: frozenset[tuple[str, str]] = field(
        default_factory=frozenset
    )  # (country, fold_city(city))
    missions: frozenset[int] = field(default_factory=frozenset)
    events: frozenset[int] = field(default_factory=frozenset)

    @property
    def empty(self) -> bool:
        return not (self.cities or self.missions or self.events)

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(country for country, _ in self.cities)

    def has_city(self, country: str, city: str) -> bool:
        return bool(city.strip()) and (fold_country(country), fold_city(city)) in self.cities


def coordinator_scope(user: Any, campaign: CampaignRef) -> Scope:
    if not _authenticated(user):
        return Scope()
    assignments = Assignment.objects.filter(
        role__user=user, role__campaign_id=_campaign_id(campaign), role__kind=Role.Kind.COORDINATOR
    ).values_list("country", "city", "mission_id", "event_id")
    cities, missions, events = set(), set(), set()
    for country, city, mission_id, event_id in assignments:
        if mission_id:
            missions.add(mission_id)
        elif event_id:
            events.add(event_id)
        elif country.strip() and city.strip():
            cities.add((fold_country(country), fold_city(city)))
    return Scope(frozenset(cities), frozenset(missions), frozenset(events))


def campaigns_for(user: Any) -> QuerySet[Any]:
    """Campaigns in which the user has any role (all of them for superusers)."""
    if not _authenticated(user):
        return _campaigns().none()
    if user.is_superuser:
        return _campaigns()
    return _campaigns().filter(roles__user=user).distinct()
