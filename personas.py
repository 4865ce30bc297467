"""The people and places the tests are about, made the same way in every app's tests.

Imported by test modules (``from personas import ...``), which pytest loads
after Django is set up; the root ``conftest.py`` turns the common ones into
fixtures (``organiser``, ``coordinator_of``, ...). A test that needs
something else builds it here too, so a change of the models is made in one
place.

Passwords are one constant: the test settings hash with MD5, so logging in
with a password is cheap; tests that only need a session use ``force_login``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model

from safepassage.accounts.models import Assignment, Role
from safepassage.campaigns.models import Campaign
from safepassage.directory.models import Mission, SignatureRoute
from safepassage.signatures.models import Signature

PASSWORD = "pw-persona-long-enough-1"
DAY_OF_ACTION = dt.date(2026, 9, 24)


def make_user(name: str, *, password: str | None = PASSWORD, **extra: Any) -> Any:
    """A team member called ``name``, with the address ``name@team.example``."""
    extra.setdefault("first_name", name.title())
    return get_user_model().objects.create_user(name, f"{name}@team.example", password, **extra)


def user_with_role(
    name: str, campaign: Campaign, kind: str, *, is_staff: bool = False, **role: Any
) -> Any:
    """A user with one role in the campaign; ``role`` goes to the role (``organisation``, ...)."""
    user = make_user(name, is_staff=is_staff)
    Role.objects.create(user=user, campaign=campaign, kind=kind, **role)
    return user


def organiser_of(campaign: Campaign, name: str = "olga", *, is_staff: bool = False) -> Any:
    return user_with_role(name, campaign, Role.Kind.ORGANISER, is_staff=is_staff)


def coordinator_of(
    campaign: Campaign, name: str, country: str, city: str, *, is_staff: bool = False
) -> Any:
    """A city coordinator assigned to one city (matched without regard to case)."""
    user = make_user(name, is_staff=is_staff)
    role = Role.objects.create(user=user, campaign=campaign, kind=Role.Kind.COORDINATOR)
    Assignment.objects.create(role=role, country=country, city=city)
    return user


def make_campaign(slug: str = "snkrd-2026", **overrides: Any) -> Campaign:
    """An open campaign for the PRC, on 24 September 2026."""
    values: dict[str, Any] = {
        "title": "Save North Korean Refugees Day",
        "slug": slug,
        "year": 2026,
        "day_of_action": DAY_OF_ACTION,
        "target_person": "Xi Jinping",
        "target_title": "President of the People's Republic of China",
        "target_government": "CN",
        "status": Campaign.Status.OPEN,
    }
    values.update(overrides)
    return Campaign.objects.create(**values)


def make_mission(key: str, kind: str, country: str, city: str, **extra: Any) -> Mission:
    """A PRC mission (or another sending state's, with ``sending_state``)."""
    extra.setdefault("sending_state", "CN")
    extra.setdefault("name", f"{kind.replace('_', ' ').title()} of China in {city}")
    extra.setdefault("source", "https://example.org/missions")
    return Mission.objects.create(key=key, kind=kind, host_country=country, city=city, **extra)


def route(signature: Signature, mission: Mission | None, placement: str = "city") -> None:
    """Route ``signature`` to ``mission`` as the routing sweep would (or move its route)."""
    SignatureRoute.objects.update_or_create(
        signature=signature, defaults={"mission": mission, "placement": placement}
    )


def route_of(signature: Signature) -> tuple[int | None, str]:
    """(mission id, placement) of the signature's route now; (None, "") while unrouted."""
    found = (
        SignatureRoute.objects.filter(signature_id=signature.pk)
        .values_list("mission_id", "placement")
        .first()
    )
    return found or (None, "")
