"""Invariant 7 in the admin: an organiser sees everything of their campaign and nothing of another.

Exhaustive by construction: the tests iterate ``admin.site._registry``. A
model registered without one of the rules of ``CampaignScopedAdmin`` fails
``test_every_admin_declares_a_rule``; a campaign model without rows of both
campaigns in ``world.populate`` fails ``test_the_world_has_rows_of_every_
campaign_model``; and every campaign (or per-account) model is then checked,
for the organiser of campaign B against the rows of campaign A: the
changelist (its count and its ids), the change, delete and history pages
(404, no Save), every admin action posted with A's ids (the database does
not change), and the choices of every foreign key on B's own pages. The
organiser of A sees and opens all of A's rows.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models import Model
from django.forms import ModelChoiceField
from django.test import Client
from django.urls import NoReverseMatch, reverse

from conftest import pass_second_factor
from safepassage.accounts import security
from safepassage.accounts.admin_mixins import (
    CAMPAIGN,
    OWN,
    RULES,
    SHARED,
    SUPERUSERS,
    CampaignScopedAdmin,
)
from safepassage.accounts.tests.world import Rows, World, made_once, populate
from safepassage.signatures.models import Signature

pytestmark = pytest.mark.django_db

# Registered models allowed without CampaignScopedAdmin, each with the reason.
# Empty on purpose: even Django's and django-tasks' own admins are re-registered
# under a rule (accounts/admin.py). Add a model here only with a comment saying
# why nobody but a superuser could ever reach its pages.
UNSCOPED_ALLOWED: dict[str, str] = {}

REGISTRY = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)
# Every admin but those of shared reference data and superusers only: an admin
# with no rule at all is held to the per-campaign tests too.
PER_CAMPAIGN = [
    (model, model_admin)
    for model, model_admin in REGISTRY
    if getattr(model_admin, "rule", CAMPAIGN) in (CAMPAIGN, OWN)
    and model._meta.label not in UNSCOPED_ALLOWED
]
IDS = [model._meta.label for model, _ in PER_CAMPAIGN]


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    cache.clear()


@pytest.fixture(scope="module")
def shared_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[World, Rows]]:
    """The world with its rows of every model, made once for the module's tests."""
    yield from made_once(django_db_blocker, populate, sign=False)


@pytest.fixture
def world(shared_world: tuple[World, Rows], db: None) -> World:
    return shared_world[0].for_a_test()


@pytest.fixture
def rows(shared_world: tuple[World, Rows], world: World) -> Rows:
    return copy.deepcopy(shared_world[1])


def url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def fingerprint() -> dict[str, list[dict[str, Any]]]:
    """Every row of every model of the project and of the task queue."""
    state = {}
    for model in apps.get_models():
        label = model._meta.app_label
        if model.__module__.startswith("safepassage.") or label == "django_tasks_database":
            state[model._meta.label] = list(model._default_manager.order_by("pk").values())
    return state


def reauthenticated(client: Client) -> None:
    """As if the user had just typed their password and code again (bulk moderation asks)."""
    session = client.session
    session[security.REAUTH_AT] = time.time()
    session.save()


def action_names(model_admin: admin.ModelAdmin[Any]) -> list[str]:
    names = ["delete_selected"]
    for action in model_admin.actions or ():
        names.append(action if isinstance(action, str) else action.__name__)
    return names


def test_every_admin_declares_a_rule():
    unruled = []
    for model, model_admin in REGISTRY:
        label = model._meta.label
        if label in UNSCOPED_ALLOWED:
            continue
        if not isinstance(model_admin, CampaignScopedAdmin) or model_admin.rule not in RULES:
            unruled.append(label)
            continue
        if model_admin.rule == CAMPAIGN:
            # Raises for an admin with neither a lookup nor its own campaign_q.
            model._default_manager.filter(model_admin.campaign_q(frozenset({0}))).exists()
    assert unruled == [], "admins without a rule of CampaignScopedAdmin"


def test_the_world_has_rows_of_every_campaign_model(rows):
    missing = [
        f"{model._meta.label} in {side}"
        for model, _ in PER_CAMPAIGN
        for side in ("A", "B")
        if not rows[side].get(model)
    ]
    assert missing == [], "add rows of these models to world.populate"


@pytest.mark.parametrize(("model", "model_admin"), PER_CAMPAIGN, ids=IDS)
def test_the_organiser_of_b_sees_nothing_of_campaign_a(world, rows, model, model_admin):
    client = world.clients["organiser_b"]
    a_ids = {obj.pk for obj in rows["A"][model]}
    b_ids = {obj.pk for obj in rows["B"][model]}

    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    changelist = response.context["cl"]
    listed = set(changelist.queryset.values_list("pk", flat=True))
    assert listed & a_ids == set()
    assert b_ids <= listed
    assert changelist.result_count == len(listed) == len(changelist.queryset)
    html = response.content.decode()
    for pk in a_ids:
        assert url(model, "change", pk) not in html
    assert world.petition.slug not in html and world.campaign.title not in html

    for pk in a_ids:
        for view in ("change", "delete", "history"):
            page = client.get(url(model, view, pk))
            assert page.status_code in (403, 404), (view, pk, page.status_code)
            assert b'name="_save"' not in page.content
        posted = client.post(url(model, "change", pk), {})
        assert posted.status_code in (403, 404)


@pytest.mark.parametrize(("model", "model_admin"), PER_CAMPAIGN, ids=IDS)
def test_no_admin_action_of_the_organiser_of_b_touches_campaign_a(world, rows, model, model_admin):
    client = world.clients["organiser_b"]
    reauthenticated(client)
    a_ids = [obj.pk for obj in rows["A"][model]]
    for name in action_names(model_admin):
        before = fingerprint()
        client.post(
            url(model, "changelist"),
            {
                "action": name,
                "_selected_action": a_ids,
                "index": "0",
                "select_across": "0",
                "post": "yes",
                "confirm": "1",
                "reason": "an attempt from another campaign",
            },
        )
        assert fingerprint() == before, name


@pytest.mark.parametrize(("model", "model_admin"), PER_CAMPAIGN, ids=IDS)
def test_the_organiser_of_a_sees_and_opens_every_row_of_campaign_a(world, rows, model, model_admin):
    client = world.clients["organiser"]
    a_ids = {obj.pk for obj in rows["A"][model]}
    b_ids = {obj.pk for obj in rows["B"][model]}
    response = client.get(url(model, "changelist"))
    assert response.status_code == 200
    listed = set(response.context["cl"].queryset.values_list("pk", flat=True))
    assert a_ids <= listed and listed & b_ids == set()
    for pk in a_ids:
        assert client.get(url(model, "change", pk)).status_code == 200
        assert client.get(url(model, "history", pk)).status_code == 200


@pytest.mark.parametrize(("model", "model_admin"), PER_CAMPAIGN, ids=IDS)
def test_the_choices_on_the_pages_of_b_hold_nothing_of_campaign_a(world, rows, model, model_admin):
    client = world.clients["organiser_b"]
    a_rows = {(type(obj), obj.pk) for objects in rows["A"].values() for obj in objects}
    for obj in rows["B"][model]:
        response = client.get(url(model, "change", obj.pk))
        assert response.status_code == 200
        forms = [response.context["adminform"].form]
        for formset in response.context.get("inline_admin_formsets", []):
            forms.extend([*formset.formset.forms, formset.formset.empty_form])
        for form in forms:
            for name, field in form.fields.items():
                # An inline row's hidden id is not a choice: Django looks the row up
                # among the parent's own rows (BaseInlineFormSet.get_queryset).
                inline_id = form is not forms[0] and name == form._meta.model._meta.pk.name
                if isinstance(field, ModelChoiceField) and not inline_id:
                    choices = field.queryset
                    assert choices is not None
                    offered = {(choices.model, pk) for pk in choices.values_list("pk", flat=True)}
                    assert offered & a_rows == set(), (name, offered & a_rows)


def test_a_superuser_sees_both_campaigns(world, rows):
    boss = get_user_model().objects.create_superuser("boss", password="a-long-test-password-1")
    client = Client()
    client.force_login(boss)
    for model, _ in PER_CAMPAIGN:
        listed = set(
            client.get(url(model, "changelist")).context["cl"].queryset.values_list("pk", flat=True)
        )
        for side in ("A", "B"):
            assert {obj.pk for obj in rows[side][model]} <= listed, model._meta.label


def test_clear_review_from_another_campaign_leaves_the_signature_held(world, rows):
    held = rows["A"][Signature][1]
    data = {"action": "clear_review", "_selected_action": [held.pk], "index": "0"}
    reauthenticated(world.clients["organiser_b"])
    world.clients["organiser_b"].post(url(Signature, "changelist"), data)
    held.refresh_from_db()
    assert held.review_reason != ""
    reauthenticated(world.clients["organiser"])
    world.clients["organiser"].post(url(Signature, "changelist"), data)
    held.refresh_from_db()
    assert held.review_reason == ""


def test_the_campaign_page_offers_save_to_its_organiser_only(world, rows):
    page = url(type(world.campaign), "change", world.campaign.pk)
    assert b'name="_save"' in world.clients["organiser"].get(page).content
    assert world.clients["organiser_b"].get(page).status_code == 404


@pytest.mark.parametrize(
    ("model", "model_admin"),
    [(m, a) for m, a in REGISTRY if getattr(a, "rule", None) == SUPERUSERS],
    ids=lambda value: getattr(getattr(value, "_meta", None), "label", ""),
)
def test_only_superusers_reach_accounts_groups_and_the_task_queue(world, model, model_admin):
    client = world.clients["organiser"]
    assert client.get(url(model, "changelist")).status_code == 403
    assert client.get(url(model, "add")).status_code == 403


def test_an_organiser_cannot_make_themselves_superuser(world):
    organiser = world.users["organiser"]
    client = world.clients["organiser"]
    User = get_user_model()
    page = url(User, "change", organiser.pk)
    assert client.get(page).status_code in (403, 404)
    client.post(page, {"username": organiser.username, "is_superuser": "on", "is_staff": "on"})
    organiser.refresh_from_db()
    assert not organiser.is_superuser
    group = Group.objects.get(name="Organisers")
    assert client.get(url(Group, "change", group.pk)).status_code in (403, 404)


@pytest.mark.parametrize(
    ("model", "model_admin"),
    [(m, a) for m, a in REGISTRY if getattr(a, "rule", None) == SHARED],
    ids=lambda value: getattr(getattr(value, "_meta", None), "label", ""),
)
def test_shared_reference_data_is_read_by_organisers_and_changed_by_superusers(
    world, model, model_admin
):
    obj = model._default_manager.first()
    assert obj is not None, f"the world has no {model._meta.label}"
    client = world.clients["organiser_b"]
    assert client.get(url(model, "changelist")).status_code == 200
    page = client.get(url(model, "change", obj.pk))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.get(url(model, "delete", obj.pk)).status_code == 403
    assert client.get(url(model, "add")).status_code == 403


def test_the_admin_index_lists_nothing_for_staff_without_a_campaign(world):
    outsider = world.users["outsider"]
    outsider.is_staff = True
    outsider.save()
    pass_second_factor(world.clients["outsider"], outsider)
    response = world.clients["outsider"].get(reverse("admin:index"))
    assert response.status_code == 200
    assert response.context["app_list"] == []
    listed = {
        m["object_name"]
        for app in world.clients["organiser_b"].get(reverse("admin:index")).context["app_list"]
        for m in app["models"]
    }
    assert "User" not in listed and "Group" not in listed and "Signature" in listed


def test_the_history_of_a_delivery_of_campaign_a_is_not_shown_to_campaign_b(world, rows):
    delivery = rows["A"][type(world.delivery_w)][0]
    try:
        history = reverse(
            "admin:deliveries_delivery_simple_history",
            args=[delivery.pk, delivery.history.first().pk],
        )
    except (NoReverseMatch, AttributeError):
        pytest.skip("no per-version history page")
    assert world.clients["organiser_b"].get(history).status_code == 404
    assert world.clients["organiser"].get(history).status_code == 200


def test_the_demo_organiser_is_not_a_superuser(petition, tmp_path):
    from django.core.management import call_command

    call_command("ensure_organiser", credentials_file=str(tmp_path / "credentials.txt"))
    organiser = get_user_model().objects.get(username="organiser")
    assert organiser.is_staff and not organiser.is_superuser


def test_autocomplete_offers_only_the_users_campaigns(world, rows):
    query = {"app_label": "letters", "model_name": "letter", "field_name": "campaign", "term": ""}
    response = world.clients["organiser_b"].get(reverse("admin:autocomplete"), query)
    assert response.status_code == 200
    offered = {result["id"] for result in response.json()["results"]}
    assert offered == {str(world.other_campaign.pk)}
