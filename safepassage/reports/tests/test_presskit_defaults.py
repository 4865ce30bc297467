"""The press kit opens prefilled from the campaign: title, day, petition summary, contacts."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from safepassage.accounts.models import Role
from safepassage.campaigns.models import Organisation
from safepassage.reports import presskit
from safepassage.reports.models import PressKit

pytestmark = pytest.mark.django_db


def test_the_first_open_prefills_the_kit_from_the_campaign(client, petition):
    campaign = petition.campaign
    Organisation.objects.filter(slug="demo-nk-freedom-coalition").update(
        phone="+1 202 555 0100", email="press@example.org"
    )
    user = get_user_model().objects.create_user("olga", "olga@example.org", "pw", is_staff=True)
    Role.objects.create(user=user, campaign=campaign, kind=Role.Kind.ORGANISER)
    client.force_login(user)
    response = client.get(reverse("reports:press_kit", args=[campaign.slug]))
    assert response.status_code == 200
    form = response.context["form"]
    kit = PressKit.objects.get(campaign=campaign)
    # Title and day follow the campaign through merge fields; the rest is written in.
    assert "{{ campaign_title }}" in form["press_release_title"].value()
    assert "{{ day_of_action }}" in form["flyer_headline"].value()
    assert "Let North Korean refugees in China reach safety" in kit.press_release_body
    assert "On 24 September 1982 the People's Republic of China acceded" in kit.flyer_body
    assert "embassies and consulates of China" in kit.press_release_body
    assert kit.contacts == (
        "Demo North Korea Freedom Coalition · +1 202 555 0100 · press@example.org · "
        "https://example.org/"
    )
    # The merged texts are valid (no unknown merge fields), and the PDF values fill them.
    for name in presskit.MERGED_FIELDS:
        assert presskit.unknown_fields(getattr(kit, name)) == []
    values = presskit.values_for(campaign, "en")
    assert "Save North Korean Refugees Day" in presskit.merge_line(kit.press_release_title, values)


def test_a_saved_kit_is_not_overwritten_on_the_next_open(petition):
    kit = presskit.press_kit_for(petition.campaign)
    kit.contacts = "Ola Press, +47 000"
    kit.save()
    assert presskit.press_kit_for(petition.campaign).contacts == "Ola Press, +47 000"
