"""With the campaign's four-eyes option on, the author of a letter version cannot approve it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from safepassage.accounts.models import Role
from safepassage.campaigns.models import Campaign
from safepassage.letters import services
from safepassage.letters.models import LetterVersion
from safepassage.letters.tests.test_services import World, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


def four_eyes(world: World) -> None:
    Campaign.objects.filter(pk=world.campaign.pk).update(letters_four_eyes=True)
    world.campaign.refresh_from_db()


def test_off_by_default_a_single_organiser_approves_their_own_sample(world: World) -> None:
    assert world.campaign.letters_four_eyes is False
    letter = world.sample()
    assert letter.approved_version is not None


def test_on_the_author_cannot_approve_and_another_organiser_can(world: World) -> None:
    four_eyes(world)
    letter = world.sample(approve=False)
    version = letter.latest_version()
    assert version is not None and version.created_by == world.organiser
    with pytest.raises(ValidationError, match="another organiser must approve it"):
        services.approve(version, user=world.organiser)
    version.refresh_from_db()
    assert version.status == LetterVersion.Status.DRAFT

    second = make_user("oscar")
    Role.objects.create(user=second, campaign=world.campaign, kind=Role.Kind.ORGANISER)
    services.approve(version, user=second)
    letter.refresh_from_db()
    assert letter.approved_version == version


def test_on_the_review_page_says_why(client: Any, world: World) -> None:
    four_eyes(world)
    letter = world.sample(approve=False)
    client.force_login(world.organiser)
    url = reverse("letters:review", args=[world.campaign.slug, letter.pk, 1])
    response = client.post(url, {"decision": "approve"}, follow=True)
    assert "another organiser must approve it" in response.content.decode()
    letter.refresh_from_db()
    assert letter.approved_version is None


def test_a_partners_version_is_approved_by_an_organiser_with_four_eyes_on(world: World) -> None:
    four_eyes(world)
    second = make_user("oscar")
    Role.objects.create(user=second, campaign=world.campaign, kind=Role.Kind.ORGANISER)
    sample = world.sample(approve=False)
    services.approve(sample.latest_version(), user=second)  # type: ignore[arg-type]
    sample.refresh_from_db()
    fork = services.fork(sample, world.org_a, user=world.editor_a)
    version = fork.latest_version()
    assert version is not None
    services.submit(version, user=world.editor_a)
    services.approve(version, user=world.organiser)  # not the author: allowed
    fork.refresh_from_db()
    assert fork.approved_version == version
