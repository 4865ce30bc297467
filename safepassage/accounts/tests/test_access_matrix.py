"""Invariant 7: each role sees exactly what section 3 of the brief says, on the server.

Three tables, each cell asserted:

- VIEWS: (name, url builder, expected outcome per persona). Append a row
  for every new view that shows campaign data; a url builder returns None
  when the view does not exist (yet), and that row is skipped with a reason.
- POSTS: (name, url builder, form data, expected outcome per persona) for
  the steps that change something: a persona refused leaves the database
  exactly as it was.
- CHECKS: (name, function of world and user, expected value per persona)
  for the functions of permissions.py that every view relies on.

The personas are those of world.ROLES: anonymous; signer (no account: a
visitor who signed, with nothing but the CSRF cookie); coordinator of city A
(Washington, US); coordinator of city B (Chicago, US); the editor for the
organisation that hosts the Washington event; an organiser; the organiser of
another campaign (organiser_b); and an outsider (an account with no role in
the campaign). The one-object pages use the objects of ``world.furnish``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.core.cache import cache
from django.test import Client
from django.urls import NoReverseMatch, reverse
from PIL import Image

from safepassage.accounts import permissions
from safepassage.accounts.tests.world import (
    NAMES_A,
    NAMES_B,
    PASSWORD,
    ROLES,
    RSVP_EMAILS,
    SECRET_ADDRESS,
    SIGNER_EMAIL,
    UNCONFIRMED,
    Rows,
    World,
    furnish,
    made_once,
)
from safepassage.deliveries import permissions as delivery_permissions
from safepassage.directory import verification
from safepassage.events import permissions as event_permissions
from safepassage.lib import uploads

pytestmark = pytest.mark.django_db

# Outcomes of a request.
OK = "200 ok"
LOGIN = "302 to the team login"
ADMIN_LOGIN = "302 to the admin login"
FORBIDDEN = "403 forbidden"
NOT_FOUND = "404 not found"

EMAIL_LIKE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    cache.clear()


@pytest.fixture(scope="module")
def shared_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[World, Rows]]:
    # Its logins pass the second factor and the re-authentication (World.share):
    # the pages behind the re-authentication answer with their own permission checks.
    yield from made_once(django_db_blocker, furnish)


@pytest.fixture
def world(shared_world: tuple[World, Rows], db: None) -> World:
    return shared_world[0].for_a_test()


def per_role(**expected: Any) -> dict[str, Any]:
    """An expectation for every persona; ``_`` is the value for those not named."""
    default = expected.pop("_", None)
    table = {role: expected.get(role, default) for role in ROLES}
    unknown = set(expected) - set(ROLES)
    assert not unknown, f"unknown personas {unknown}"
    assert None not in table.values(), f"a persona without expectation: {table}"
    return table


def admin_changelist(app: str, model: str) -> Callable[[World], str | None]:
    def build(world: World) -> str | None:
        from django.apps import apps

        try:
            registered = admin.site.is_registered(apps.get_model(app, model))
            return reverse(f"admin:{app}_{model}_changelist") if registered else None
        except (LookupError, NoReverseMatch):
            return None

    return build


def _proposal(w: World) -> Any:
    """Coordinator A's proposal for the Washington embassy, with a photo (made once)."""
    if "proposal" not in w.things:
        out = io.BytesIO()
        Image.new("RGB", (8, 8), "blue").save(out, "JPEG")
        w.things["proposal"] = verification.propose(
            user=w.users["coordinator_a"],
            campaign=w.campaign,
            mission=w.embassy,
            values={"phone": "+1 202 495 2266"},
            evidence="photo",
            photo=uploads.clean_image(out.getvalue()),
        )
    return w.things["proposal"]


# Both organisers are staff; what each sees on these pages is in test_admin_isolation.
STAFF_ONLY = per_role(organiser=OK, organiser_b=OK, _=ADMIN_LOGIN)

# (name, url builder, expected outcome per persona)
VIEWS: list[tuple[str, Callable[[World], str | None], dict[str, str]]] = [
    (
        "team index",
        lambda w: reverse("team:index"),
        per_role(anonymous=LOGIN, signer=LOGIN, _=OK),
    ),
    (
        "dashboard",
        lambda w: reverse("team:dashboard", args=[w.campaign.slug]),
        per_role(anonymous=LOGIN, signer=LOGIN, outsider=NOT_FOUND, organiser_b=NOT_FOUND, _=OK),
    ),
    (
        "dashboard of the other campaign",
        lambda w: reverse("team:dashboard", args=[w.other_campaign.slug]),
        per_role(anonymous=LOGIN, signer=LOGIN, organiser_b=OK, _=NOT_FOUND),
    ),
    (
        "day-of-action board",
        lambda w: reverse("team:board", args=[w.campaign.slug]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "start next year's campaign",
        lambda w: reverse("core:next_year", args=[w.campaign.slug]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "invite page",
        lambda w: reverse("team:invite", args=[w.campaign.slug]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    # The directory's proposals and verification (team/views_directory.py).
    (
        "directory: missions to check",
        lambda w: reverse("team:directory_missions", args=[w.campaign.slug]),
        per_role(anonymous=LOGIN, signer=LOGIN, outsider=NOT_FOUND, organiser_b=NOT_FOUND, _=OK),
    ),
    (
        "directory: a mission's record (Washington)",
        lambda w: reverse("team:directory_mission", args=[w.campaign.slug, w.embassy.pk]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            coordinator_b=FORBIDDEN,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=OK,
        ),
    ),
    (
        "directory: propose a correction (Washington)",
        lambda w: reverse("team:directory_propose", args=[w.campaign.slug, w.embassy.pk]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            coordinator_b=FORBIDDEN,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=OK,
        ),
    ),
    (
        "directory: the proposals queue",
        lambda w: reverse("team:directory_queue", args=[w.campaign.slug]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "directory: a proposal",
        lambda w: reverse("team:directory_proposal", args=[w.campaign.slug, _proposal(w).pk]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "directory: a proposal's photo (coordinator A's)",
        lambda w: reverse("team:directory_photo", args=[w.campaign.slug, _proposal(w).pk]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            coordinator_a=OK,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "directory: addresses to check",
        lambda w: reverse("team:directory_freshness", args=[w.campaign.slug]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "directory: accepted corrections (CSV)",
        lambda w: reverse("team:directory_corrections", args=[w.campaign.slug]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            outsider=NOT_FOUND,
            organiser_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    ("admin: roles", admin_changelist("accounts", "role"), STAFF_ONLY),
    ("admin: invitations", admin_changelist("accounts", "invitation"), STAFF_ONLY),
    ("admin: RSVPs", admin_changelist("events", "rsvp"), STAFF_ONLY),
    ("admin: deliveries", admin_changelist("deliveries", "delivery"), STAFF_ONLY),
    (
        "deliveries of the campaign",
        lambda w: reverse("deliveries:campaign", args=[w.campaign.slug]),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            coordinator_a=OK,
            coordinator_b=OK,
            organiser=OK,
            _=NOT_FOUND,  # no deliveries in their scope: as if the campaign did not exist
        ),
    ),
    (
        "delivery to the Washington embassy",
        lambda w: reverse("deliveries:detail", args=[w.delivery_w.pk]),
        per_role(anonymous=LOGIN, signer=LOGIN, coordinator_a=OK, organiser=OK, _=NOT_FOUND),
    ),
    (
        "delivery to the Chicago consulate",
        lambda w: reverse("deliveries:detail", args=[w.delivery_c.pk]),
        per_role(anonymous=LOGIN, signer=LOGIN, coordinator_b=OK, organiser=OK, _=NOT_FOUND),
    ),
    (
        "public event list",
        lambda w: reverse("events:list", args=[w.campaign.slug]),
        per_role(_=OK),
    ),
    (
        "public page of event A",
        lambda w: reverse("events:event", args=[w.event_a.uuid]),
        per_role(_=OK),
    ),
    (
        "remembrance list and reading script page",
        lambda w: reverse("events:remembrance", args=[w.campaign.slug]),
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=OK, _=NOT_FOUND),
    ),
    (
        "reading script PDF",
        lambda w: reverse("events:remembrance_pdf", args=[w.campaign.slug]) + "?readers=2",
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=OK, _=NOT_FOUND),
    ),
    (
        "remembrance import",
        lambda w: reverse("events:remembrance_import", args=[w.campaign.slug]),
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=OK, _=NOT_FOUND),
    ),
]


def team_page(name: str, *args: Callable[[World], Any]) -> Callable[[World], str]:
    """The URL of a team page of campaign A (first argument: the campaign's slug)."""
    return lambda w: reverse(name, args=[w.campaign.slug, *(arg(w) for arg in args)])


ORGANISER_ONLY = per_role(anonymous=LOGIN, signer=LOGIN, organiser=OK, _=NOT_FOUND)
# The same, where the page answers 403 to an account without the role (either way: nothing).
ORGANISER_ONLY_403 = per_role(anonymous=LOGIN, signer=LOGIN, organiser=OK, _=FORBIDDEN)
LETTER_EDITORS = per_role(anonymous=LOGIN, signer=LOGIN, organiser=OK, partner=OK, _=FORBIDDEN)
VIEWS += [
    (
        "exports page",
        team_page("exports:index"),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            coordinator_a=OK,
            coordinator_b=OK,
            _=NOT_FOUND,
        ),
    ),
    (
        "signatures export",
        lambda w: reverse("exports:download", args=[w.campaign.slug, "signatures", "csv"]),
        ORGANISER_ONLY,
    ),
    ("paper import", team_page("exports:import"), ORGANISER_ONLY),
    ("paper duplicates", team_page("exports:duplicates"), ORGANISER_ONLY),
    ("OSDI import", team_page("exports:import_osdi"), ORGANISER_ONLY),
    ("letters", team_page("letters:index"), LETTER_EDITORS),
    ("supporting documents", team_page("letters:documents"), ORGANISER_ONLY_403),
    (
        "letterheads of the partner organisation",
        team_page("letters:letterheads", lambda w: w.partner_org.pk),
        LETTER_EDITORS,
    ),
    (
        "moderation",
        team_page("signatures:moderation"),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            organiser_b=NOT_FOUND,
            outsider=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "the embeddable form's snippet and partner sites",
        team_page("signatures:embed_snippet"),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            partner=OK,
            organiser_b=NOT_FOUND,
            outsider=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    ("packets", team_page("packets:index"), ORGANISER_ONLY_403),
    ("after-action report editor", team_page("reports:report_edit"), ORGANISER_ONLY_403),
    ("press kit editor", team_page("reports:press_kit"), ORGANISER_ONLY_403),
    ("press release draft", team_page("reports:press_kit_release"), ORGANISER_ONLY_403),
    ("flyer draft", team_page("reports:press_kit_flyer"), ORGANISER_ONLY_403),
    (
        "deliveries index (lists only the user's own: see the test below)",
        lambda w: reverse("deliveries:index"),
        per_role(anonymous=LOGIN, signer=LOGIN, _=OK),
    ),
    (
        "API tokens page (each account's own)",
        lambda w: reverse("api:tokens"),
        per_role(anonymous=LOGIN, signer=LOGIN, _=OK),
    ),
]

WASHINGTON = per_role(anonymous=LOGIN, signer=LOGIN, coordinator_a=OK, organiser=OK, _=NOT_FOUND)
CHICAGO = per_role(anonymous=LOGIN, signer=LOGIN, coordinator_b=OK, organiser=OK, _=NOT_FOUND)


def thing(name: str) -> Callable[[World], Any]:
    """The primary key of an object of ``world.things``."""
    return lambda w: w.things[name].pk


def delivery_page(name: str, *args: Callable[[World], Any]) -> Callable[[World], str]:
    """The URL of a page of the Washington delivery."""
    return lambda w: reverse(name, args=[w.delivery_w.pk, *(arg(w) for arg in args)])


def letter_page(name: str, letter: str, *rest: Any) -> Callable[[World], str]:
    """The URL of a page of a letter of campaign A (then, say, a version's number)."""
    return lambda w: reverse(name, args=[w.campaign.slug, w.things[letter].pk, *rest])


def letterhead_page(name: str, last: Callable[[World], Any] | str) -> Callable[[World], str]:
    """The URL of a letterhead page of the partner organisation."""
    return lambda w: reverse(
        name, args=[w.campaign.slug, w.partner_org.pk, last if isinstance(last, str) else last(w)]
    )


VIEWS += [
    (
        "photo of the Washington delivery",
        delivery_page("deliveries:evidence-file", thing("evidence")),
        WASHINGTON,
    ),
    (
        "scan of the Washington embassy's reply",
        delivery_page("deliveries:response-scan", thing("response")),
        WASHINGTON,
    ),
    ("e-mailing the Washington packet", delivery_page("deliveries:send"), WASHINGTON),
    (
        "packet e-mailed to the Chicago consulate",
        lambda w: reverse("deliveries:packet", args=[w.delivery_c.pk]),
        CHICAGO,
    ),
    (
        "paper import in progress (the organiser's own upload)",
        lambda w: reverse("exports:import_map", args=[w.campaign.slug, w.things["upload"].uuid]),
        ORGANISER_ONLY,
    ),
    (
        "OSDI import in progress (the organiser's own upload)",
        lambda w: reverse(
            "exports:import_osdi_check", args=[w.campaign.slug, w.things["upload"].uuid]
        ),
        ORGANISER_ONLY,
    ),
    ("new sample letter", team_page("letters:sample-new"), ORGANISER_ONLY_403),
    ("the partner's letter", letter_page("letters:edit", "letter"), LETTER_EDITORS),
    ("history of the partner's letter", letter_page("letters:history", "letter"), LETTER_EDITORS),
    (
        "preview of the partner's letter",
        letter_page("letters:preview", "letter", 1),
        LETTER_EDITORS,
    ),
    (
        "the other organisation's letter",
        letter_page("letters:edit", "other_letter"),
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=OK, partner=NOT_FOUND, _=FORBIDDEN),
    ),
    (
        "the sample letter (organisers edit it; a partner editor forks it)",
        letter_page("letters:edit", "sample"),
        ORGANISER_ONLY_403,
    ),
    (
        "new letterhead of the partner",
        letterhead_page("letters:letterhead-new", "designed"),
        LETTER_EDITORS,
    ),
    (
        "the partner's letterhead",
        letterhead_page("letters:letterhead-edit", thing("letterhead")),
        LETTER_EDITORS,
    ),
    (
        "preview of the partner's letterhead",
        letterhead_page("letters:letterhead-preview", thing("letterhead")),
        LETTER_EDITORS,
    ),
    (
        "letterheads of the other organisation",
        lambda w: reverse("letters:letterheads", args=[w.campaign.slug, w.other_org.pk]),
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=OK, partner=NOT_FOUND, _=FORBIDDEN),
    ),
    ("a packet build", team_page("packets:build", thing("build")), ORGANISER_ONLY_403),
    ("ZIP of a packet build", team_page("packets:zip", thing("build")), ORGANISER_ONLY_403),
    (
        "one packet of a build (the Washington embassy's: its coordinator's too)",
        team_page("packets:packet", thing("build"), thing("packet")),
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=OK,
            coordinator_a=OK,
            coordinator_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "a build of the other campaign, under this campaign's address",
        team_page("packets:build", thing("build_b")),
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=NOT_FOUND, _=FORBIDDEN),
    ),
]

# Who may change what: the POST-only steps, each sent with empty or minimal
# data. ACCEPTED: the step ran its own checks (done, or the form sent back
# with its errors); any other outcome leaves the database as it was.
ACCEPTED = "accepted (not refused)"
POSTS: list[tuple[str, Callable[[World], str], dict[str, str], dict[str, str]]] = [
    (
        "add evidence to the Washington delivery",
        delivery_page("deliveries:evidence"),
        {},
        per_role(
            anonymous=LOGIN, signer=LOGIN, coordinator_a=ACCEPTED, organiser=ACCEPTED, _=NOT_FOUND
        ),
    ),
    (
        "publish a photo of the Washington delivery",
        delivery_page("deliveries:evidence-publish", thing("evidence")),
        {"publish": "on"},
        per_role(
            anonymous=LOGIN, signer=LOGIN, coordinator_a=ACCEPTED, organiser=ACCEPTED, _=NOT_FOUND
        ),
    ),
    (
        "record a reply of the Washington embassy",
        delivery_page("deliveries:response"),
        {},
        per_role(
            anonymous=LOGIN, signer=LOGIN, coordinator_a=ACCEPTED, organiser=ACCEPTED, _=NOT_FOUND
        ),
    ),
    (
        "e-mail the Washington packet",
        delivery_page("deliveries:send"),
        {},
        per_role(
            anonymous=LOGIN, signer=LOGIN, coordinator_a=ACCEPTED, organiser=ACCEPTED, _=NOT_FOUND
        ),
    ),
    (
        "revoke the organiser's API token",
        lambda w: reverse("api:revoke", args=[w.things["token"].pk]),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=NOT_FOUND),
    ),
    (
        "import the organiser's paper upload",
        lambda w: reverse("exports:import_map", args=[w.campaign.slug, w.things["upload"].uuid]),
        {"action": "import"},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=NOT_FOUND),
    ),
    (
        "import the organiser's upload as OSDI",
        lambda w: reverse(
            "exports:import_osdi_check", args=[w.campaign.slug, w.things["upload"].uuid]
        ),
        {"action": "import", "source": "OSDI", "declaration": "on"},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=NOT_FOUND),
    ),
    (
        "fork the sample letter",
        letter_page("letters:fork", "sample"),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, partner=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "save the partner's letter",
        letter_page("letters:edit", "letter"),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, partner=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "save the other organisation's letter",
        letter_page("letters:edit", "other_letter"),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, partner=NOT_FOUND, _=FORBIDDEN),
    ),
    (
        "submit the partner's letter for approval",
        letter_page("letters:submit", "letter", 1),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, partner=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "approve the partner's letter",
        letter_page("letters:review", "letter", 1),
        {"decision": "approve"},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "new sample letter",
        team_page("letters:sample-new"),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "show a supporting document on the campaign page",
        team_page("letters:document-public", thing("document")),
        {"public": "1"},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "delete a supporting document",
        team_page("letters:document-delete", thing("document")),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "new letterhead of the partner",
        letterhead_page("letters:letterhead-new", "designed"),
        {"name": "Letterhead by"},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, partner=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "change the partner's letterhead",
        letterhead_page("letters:letterhead-edit", thing("letterhead")),
        {"name": "Renamed"},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, partner=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "interrupt a packet build",
        team_page("packets:interrupt", thing("build")),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "resume a packet build",
        team_page("packets:resume", thing("build")),
        {},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "build the Washington embassy's packet now",
        team_page("packets:build-mission", thing("build"), lambda w: w.embassy.pk),
        {},
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=ACCEPTED,
            coordinator_a=ACCEPTED,
            coordinator_b=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "let partner organisations download packets",
        team_page("packets:sharing"),
        {"partners_may_download": "on"},
        per_role(anonymous=LOGIN, signer=LOGIN, organiser=ACCEPTED, _=FORBIDDEN),
    ),
    (
        "withhold names",
        team_page("signatures:moderation_names"),
        {},
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=ACCEPTED,
            organiser_b=NOT_FOUND,
            outsider=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "invalidate signatures",
        team_page("signatures:moderation_invalidate"),
        {},
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=ACCEPTED,
            organiser_b=NOT_FOUND,
            outsider=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "start next year's campaign",
        lambda w: reverse("core:next_year", args=[w.campaign.slug]),
        {},  # incomplete: the organiser gets the form back, nothing is made
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=ACCEPTED,
            organiser_b=NOT_FOUND,
            outsider=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
    (
        "reverse a moderation action",
        team_page("signatures:moderation_reverse", thing("moderation")),
        {},
        per_role(
            anonymous=LOGIN,
            signer=LOGIN,
            organiser=ACCEPTED,
            organiser_b=NOT_FOUND,
            outsider=NOT_FOUND,
            _=FORBIDDEN,
        ),
    ),
]


def an_update(w: World) -> int:
    """A draft update of campaign A (safepassage.updates), made on first use."""
    from safepassage.updates.models import Update

    return Update.objects.get_or_create(campaign=w.campaign)[0].pk


# Organisers' update pages: a role in the campaign without the organiser's → 403.
UPDATE_PAGES = per_role(
    anonymous=LOGIN, signer=LOGIN, organiser=OK, outsider=NOT_FOUND, organiser_b=NOT_FOUND,
    _=FORBIDDEN,
)  # fmt: skip
VIEWS += [
    ("updates of the campaign", team_page("updates:index"), UPDATE_PAGES),
    ("an update of the campaign", team_page("updates:edit", an_update), UPDATE_PAGES),
    ("sending an update (the count)", team_page("updates:send", an_update), UPDATE_PAGES),
]
UPDATE_POSTS = {
    role: ACCEPTED if outcome == OK else outcome for role, outcome in UPDATE_PAGES.items()
}
POSTS += [
    ("the report as an update", team_page("updates:from_report"), {}, UPDATE_POSTS),
    ("a test of an update", team_page("updates:test", an_update), {}, UPDATE_POSTS),
]


def a_webhook(w: World) -> int:
    """A webhook endpoint of campaign A (safepassage.webhooks), made on first use."""
    from safepassage.webhooks.models import Endpoint

    return Endpoint.objects.get_or_create(
        campaign=w.campaign,
        url="https://crm.partner.example/hook",
        defaults={"events": ["report.published"], "secret_encrypted": ""},
    )[0].pk


def a_webhook_delivery(w: World) -> int:
    from safepassage.webhooks.models import Delivery

    return Delivery.objects.get_or_create(endpoint_id=a_webhook(w), event="report.published")[0].pk


# The webhook pages are organisers' pages like the updates'.
VIEWS += [
    ("webhooks of the campaign", team_page("webhooks:index"), UPDATE_PAGES),
    ("a new webhook endpoint", team_page("webhooks:create"), UPDATE_PAGES),
    ("a webhook endpoint", team_page("webhooks:endpoint", a_webhook), UPDATE_PAGES),
    ("admin: webhook endpoints", admin_changelist("webhooks", "endpoint"), STAFF_ONLY),
    ("admin: webhook deliveries", admin_changelist("webhooks", "delivery"), STAFF_ONLY),
]
POSTS += [
    (
        "replay a webhook delivery",
        team_page("webhooks:replay", a_webhook, a_webhook_delivery),
        {},
        UPDATE_POSTS,
    ),
    ("switch a webhook endpoint off", team_page("webhooks:endpoint", a_webhook), {}, UPDATE_POSTS),
    ("delete a webhook endpoint", team_page("webhooks:delete", a_webhook), {}, UPDATE_POSTS),
]

# (name, function of world and user, expected value per persona)
NOBODY: frozenset[str] = frozenset()
BOTH_EVENTS = frozenset({"event A", "event B"})
BOTH_DELIVERIES = frozenset({"delivery Washington", "delivery Chicago"})
CHECKS: list[tuple[str, Callable[[World, Any], Any], dict[str, Any]]] = [
    (
        "is_organiser",
        lambda w, u: permissions.is_organiser(u, w.campaign),
        per_role(organiser=True, _=False),
    ),
    (
        "is_organiser of another campaign",
        lambda w, u: permissions.is_organiser(u, w.other_campaign),
        per_role(organiser_b=True, _=False),
    ),
    (
        "events_for",
        lambda w, u: w.labels(event_permissions.events_for(u, w.campaign)),
        per_role(
            coordinator_a={"event A"},
            coordinator_b={"event B"},
            partner={"event A"},
            organiser=BOTH_EVENTS,
            _=NOBODY,
        ),
    ),
    (
        "rsvp_events_for",
        lambda w, u: w.labels(event_permissions.rsvp_events_for(u, w.campaign)),
        per_role(
            coordinator_a={"event A"},
            coordinator_b={"event B"},
            organiser=BOTH_EVENTS,
            _=NOBODY,
        ),
    ),
    (
        "deliveries_for",
        lambda w, u: w.labels(delivery_permissions.deliveries_for(u, w.campaign)),
        per_role(
            coordinator_a={"delivery Washington"},
            coordinator_b={"delivery Chicago"},
            organiser=BOTH_DELIVERIES,
            _=NOBODY,
        ),
    ),
    (
        "can_see_rsvp_names(event A)",
        lambda w, u: event_permissions.can_see_rsvp_names(u, w.event_a),
        per_role(coordinator_a=True, organiser=True, _=False),
    ),
    (
        "can_see_rsvp_names(event B)",
        lambda w, u: event_permissions.can_see_rsvp_names(u, w.event_b),
        per_role(coordinator_b=True, organiser=True, _=False),
    ),
    (
        "can_manage_event(event A)",
        lambda w, u: event_permissions.can_manage_event(u, w.event_a),
        per_role(coordinator_a=True, partner=True, organiser=True, _=False),
    ),
    (
        "can_manage_event(event B)",
        lambda w, u: event_permissions.can_manage_event(u, w.event_b),
        per_role(coordinator_b=True, organiser=True, _=False),
    ),
    (
        "can_manage_delivery(Washington)",
        lambda w, u: delivery_permissions.can_manage_delivery(u, w.delivery_w),
        per_role(coordinator_a=True, organiser=True, _=False),
    ),
    (
        "can_manage_delivery(Chicago)",
        lambda w, u: delivery_permissions.can_manage_delivery(u, w.delivery_c),
        per_role(coordinator_b=True, organiser=True, _=False),
    ),
    (
        "editable_organisations",
        lambda w, u: frozenset(
            w.label(o)
            for o in w.campaign.organisations.filter(
                pk__in=permissions.editable_organisations(u, w.campaign)
            )
        ),
        per_role(partner={"partner organisation"}, _=NOBODY),
    ),
    (
        "campaigns_for",
        lambda w, u: w.labels(permissions.campaigns_for(u)),
        per_role(
            anonymous=NOBODY,
            signer=NOBODY,
            outsider=NOBODY,
            organiser_b={"other campaign"},
            _={"campaign"},
        ),
    ),
    (
        "organiser_campaigns",
        lambda w, u: w.labels(permissions.organiser_campaigns(u)),
        per_role(organiser={"campaign"}, organiser_b={"other campaign"}, _=NOBODY),
    ),
]


def outcome(response: Any) -> str:
    if response.status_code == 200:
        return OK
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("accounts:login") + "?next="):
            return LOGIN
        if location.startswith(reverse("admin:login") + "?next="):
            return ADMIN_LOGIN
        return f"302 to {location}"
    return {403: FORBIDDEN, 404: NOT_FOUND}.get(response.status_code, str(response.status_code))


def test_every_persona_has_an_expectation_in_every_row():
    for name, _build, expected in VIEWS:
        assert set(expected) == set(ROLES), name
    for name, _check, expected in CHECKS:
        assert set(expected) == set(ROLES), name
    assert len({name for name, *_ in VIEWS}) == len(VIEWS)
    assert len({name for name, *_ in CHECKS}) == len(CHECKS)


@pytest.mark.parametrize(("name", "build", "expected"), VIEWS, ids=[v[0] for v in VIEWS])
def test_view_matrix(world, name, build, expected):
    url = build(world)
    if url is None:
        pytest.skip(f"{name}: not built yet")
    got = {role: outcome(world.clients[role].get(url)) for role in ROLES}
    assert got == expected, name


def post_outcome(response: Any) -> str:
    got = outcome(response)
    return got if got in (LOGIN, FORBIDDEN, NOT_FOUND) else ACCEPTED


def database(world: World) -> dict[str, list[dict[str, Any]]]:
    """Every row a POST step of the matrix could change."""
    from django.apps import apps

    models = (
        "deliveries.Delivery", "deliveries.Evidence", "deliveries.Response", "outbox.Message",
        "api.ApiToken", "exports.ImportUpload", "exports.ExportLog", "signatures.Signature",
        "signatures.PaperTally", "signatures.ModerationAction", "letters.Letter",
        "letters.LetterVersion", "letters.Letterhead", "letters.SupportingDocument",
        "packets.PacketBuild", "packets.Packet",
    )  # fmt: skip
    return {label: list(apps.get_model(label).objects.order_by("pk").values()) for label in models}


@pytest.mark.parametrize(("name", "build", "data", "expected"), POSTS, ids=[p[0] for p in POSTS])
def test_post_matrix(world, name, build, data, expected):
    url = build(world)
    # Those refused first, on the database as it was made; then those let in.
    order = sorted(ROLES, key=lambda role: expected[role] == ACCEPTED)
    got = {}
    for role in order:
        before = database(world)
        got[role] = post_outcome(world.clients[role].post(url, data))
        if got[role] != ACCEPTED:
            assert database(world) == before, (name, role)
    assert got == expected, name


def test_permission_matrix(world):
    wrong = []
    for name, check, expected in CHECKS:
        for role in ROLES:
            value = check(world, world.users[role])
            if value != expected[role]:
                wrong.append(f"{name} for {role}: expected {expected[role]!r}, got {value!r}")
    assert wrong == []


def test_the_rsvp_name_check_and_the_rsvp_event_list_agree(world):
    for role in ROLES:
        user = world.users[role]
        listed = set(event_permissions.rsvp_events_for(user, world.campaign))
        for event in (world.event_a, world.event_b):
            assert event_permissions.can_see_rsvp_names(user, event) == (event in listed), role


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_coordinator_a_sees_washington_only(world):
    html = page(
        world.clients["coordinator_a"], reverse("team:dashboard", args=[world.campaign.slug])
    )
    assert world.event_a.title in html and NAMES_A[0] in html
    assert world.event_b.title not in html and NAMES_B[0] not in html
    assert SECRET_ADDRESS not in html
    assert f'href="/deliveries/{world.delivery_w.pk}/"' in html
    assert f"/deliveries/{world.delivery_c.pk}/" not in html
    assert "1 confirmed RSVP," in html and "2 people" in html
    assert not any(name in html for name in UNCONFIRMED)
    # 20:00 in Washington, in local time with its zone.
    assert "20:00 EDT" in html


def test_coordinator_b_sees_chicago_only_with_its_hidden_address(world):
    html = page(
        world.clients["coordinator_b"], reverse("team:dashboard", args=[world.campaign.slug])
    )
    assert world.event_b.title in html and NAMES_B[0] in html and SECRET_ADDRESS in html
    assert world.event_a.title not in html and NAMES_A[0] not in html
    assert f'href="/deliveries/{world.delivery_c.pk}/"' in html
    assert f"/deliveries/{world.delivery_w.pk}/" not in html
    assert "11:00 CDT" in html


def test_the_partner_editor_sees_their_event_and_counts_but_no_names(world):
    html = page(world.clients["partner"], reverse("team:dashboard", args=[world.campaign.slug]))
    assert world.event_a.title in html and "1 confirmed RSVP," in html
    assert world.event_b.title not in html
    for name in (*NAMES_A, *NAMES_B, *UNCONFIRMED):
        assert name not in html
    assert "/deliveries/" not in html


def test_the_organiser_sees_everything_of_the_campaign(world):
    html = page(world.clients["organiser"], reverse("team:dashboard", args=[world.campaign.slug]))
    for text in (world.event_a.title, world.event_b.title, *NAMES_A, *NAMES_B, SECRET_ADDRESS):
        assert text in html
    assert f"/deliveries/{world.delivery_w.pk}/" in html
    assert f"/deliveries/{world.delivery_c.pk}/" in html


def text_of(response: Any) -> str:
    """The text a person gets: the page, the words of a PDF, or an image's bytes."""
    import io

    from pypdf import PdfReader

    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("application/pdf"):
        pages = PdfReader(io.BytesIO(content)).pages
        return "\n".join(p.extract_text() or "" for p in pages)
    return str(content.decode(errors="replace"))


def test_nobody_sees_an_email_address_on_any_page_they_may_open(world):
    addresses = (*RSVP_EMAILS, SIGNER_EMAIL)
    for name, build, expected in VIEWS:
        url = build(world)
        if url is None:
            continue
        for role in ROLES:
            if expected[role] != OK:
                continue
            html = text_of(world.clients[role].get(url))
            for address in addresses:
                assert address not in html.lower(), (name, role, address)
            if not name.startswith("admin"):
                assert EMAIL_LIKE.findall(html) == [], (name, role)


def test_the_organiser_of_another_campaign_sees_nothing_of_this_one_on_their_pages(world):
    client = world.clients["organiser_b"]
    deliveries = page(client, reverse("deliveries:index"))
    for delivery in (world.delivery_w, world.delivery_c):
        assert f"/deliveries/{delivery.pk}/" not in deliveries
    index = page(client, reverse("team:index"))
    assert world.campaign.slug not in index and world.other_campaign.slug in index


def test_the_board_shows_every_mission_with_an_event_or_a_delivery(world):
    html = page(world.clients["organiser"], reverse("team:board", args=[world.campaign.slug]))
    # Refreshed every minute by a script a person can stop (WCAG 2.2.1), not a meta refresh.
    assert 'data-auto-refresh="60" checked' in html and "http-equiv" not in html
    assert "Generated at" in html
    assert world.embassy.name in html and world.consulate.name in html
    assert world.houston.name not in html
    assert '<strong>20:00</strong> <span class="muted">EDT' in html
    assert '<strong>11:00</strong> <span class="muted">CDT' in html
    assert "Carla Capitol (coord-washington)" in html
    assert "Chen Lakeshore (coord-chicago)" in html
    totals = re.findall(r'<li class="outcome-(\w+)"><strong>(\d+)</strong>', html)
    assert dict(totals) == {"delivered": "1", "refused": "0", "pending": "1", "failed": "0"}
    for name in (*NAMES_A, *NAMES_B):
        assert name not in html


def test_a_coordinator_logs_in_on_the_team_login_page_not_the_admins(world):
    dashboard = reverse("team:dashboard", args=[world.campaign.slug])
    client = Client()
    login = client.get(dashboard)["Location"]
    assert login == f"{reverse('accounts:login')}?next={dashboard}"
    credentials = {"username": "coord-washington", "password": PASSWORD}
    # The admin's login form refuses accounts without the staff flag...
    refused = client.post(reverse("admin:login"), {**credentials, "next": dashboard})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    # ...the team's accepts them and goes on to the page asked for.
    response = client.post(login, credentials)
    assert response.status_code == 302 and response["Location"] == dashboard
    assert NAMES_A[0] in client.get(dashboard).content.decode()
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert outcome(client.get(dashboard)) == LOGIN


# URL names that need no row in VIEWS: pages for everyone (the signer's own
# links carry an unguessable token), the login and second-factor pages, the
# public API (test_public covers it), and the admin (test_admin_isolation
# iterates its registry).
PUBLIC_URLS = frozenset(
    {
        "set_language",
        "signatures:sign", "signatures:thanks", "signatures:resend", "signatures:count",
        "signatures:confirm", "signatures:withdraw", "letters:personal",
        "core:home", "core:about", "core:healthz", "core:subdivisions", "core:demo-mail",
        "directory:index", "directory:missions", "directory:find", "directory:map",
        "events:list", "events:campaign_ics", "events:city_ics", "events:event",
        "events:event_ics", "events:rsvp", "events:rsvp_thanks", "events:rsvp_confirm",
        "events:rsvp_cancel", "events:rsvp_page", "events:rsvp_ics",
        "reports:campaign", "reports:report", "reports:report_pdf", "reports:report_photo",
        "letters:public-document",
        "reports:press_release", "reports:flyer",
        # Updates' unsubscribe link (its token is the proof) and the mail provider's
        # webhooks (verified by their signature or secret): safepassage/updates/tests.
        "updates:unsubscribe", "outbox:mailgun_tracking", "outbox:postmark_tracking",
        "accounts:login", "accounts:logout", "team:join", "accounts:second_factor",
        "accounts:two_factor_setup", "accounts:recovery_codes", "accounts:remove_device",
        "accounts:reauth",
        "api:index", "api:docs", "api:not_found", "api:v1:openapi-json", "api:v1:api-root",
        "api:v1:list_campaigns", "api:v1:get_campaign", "api:v1:campaign_counts",
        "api:v1:list_petitions", "api:v1:get_petition", "api:v1:list_events",
        "api:v1:get_event", "api:v1:list_missions", "api:v1:get_mission",
        "api:v1:list_reports", "api:v1:get_report",
        # The proof-of-work challenge of the signing form.
        "signatures:challenge",
        # The share card's picture, and the embeddable signing form and its thanks page.
        "signatures:share_image", "signatures:embed", "signatures:embed_thanks",
        # Passkey sign-in and enrolment (django-otp-webauthn): the account's own.
        "otp_webauthn:credential-registration-begin",
        "otp_webauthn:credential-registration-complete",
        "otp_webauthn:credential-authentication-begin",
        "otp_webauthn:credential-authentication-complete",
        "otp_webauthn:js-i18n-catalog",
    }
)  # fmt: skip

# Pages with a per-role matrix of their own elsewhere: the team API answers
# tokens, not sessions (api/tests/test_team.py).
COVERED_ELSEWHERE = frozenset(
    {
        "api:v1:me", "api:v1:list_signatures", "api:v1:list_deliveries",
        "api:v1:get_delivery", "api:v1:record_delivery", "api:v1:rsvp_counts",
        # The OSDI read API, per token and campaign (api/tests/test_osdi.py).
        "api:osdi:aep", "api:osdi:petitions", "api:osdi:petition", "api:osdi:signatures",
        "api:osdi:signature", "api:osdi:people", "api:osdi:person", "api:osdi:events",
        "api:osdi:event", "api:osdi:attendances", "api:osdi:attendance",
        # ninja's own root of that API, at the AEP's address: the AEP answers there.
        "api:osdi:api-root",
    }
)  # fmt: skip


def url_names() -> set[str]:
    """Every named URL pattern of the project, outside the admin, with its namespaces."""
    from django.urls import URLPattern, URLResolver, get_resolver

    names: set[str] = set()

    def walk(resolver: URLResolver, namespace: str) -> None:
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.app_name == "admin" or pattern.namespace == "admin":
                    continue
                inner = ":".join(p for p in (namespace, pattern.namespace or "") if p)
                walk(pattern, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)

    walk(get_resolver(), "")
    return names


def test_every_url_pattern_has_a_row_in_the_matrix(world):
    from django.urls import resolve

    covered = set()
    builders = [build for _name, build, _expected in VIEWS]
    builders += [build for _name, build, _data, _expected in POSTS]
    for build in builders:
        url = build(world)
        if url is not None:
            covered.add(resolve(url.split("?")[0]).view_name)
    listed = PUBLIC_URLS | COVERED_ELSEWHERE
    missing = url_names() - covered - listed
    assert missing == set(), "add a row to VIEWS or POSTS (or, if public, to PUBLIC_URLS)"
    # The lists hold no stale names.
    assert listed - url_names() == set()
