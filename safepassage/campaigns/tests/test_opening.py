"""A campaign opens for signing only with a petition text and a directory to deliver to."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse

from safepassage.campaigns.models import Campaign, Petition, PetitionText
from safepassage.directory import transfer
from safepassage.directory.tests.test_transfer import GOOD

pytestmark = pytest.mark.django_db


def draft(target: str = "CN") -> Campaign:
    return Campaign.objects.create(
        title="Day",
        slug="day-2027",
        year=2027,
        day_of_action=dt.date(2027, 9, 24),
        target_person="P",
        target_title="T",
        target_government=target,
    )


def test_a_campaign_without_petition_text_or_directory_cannot_open():
    campaign = draft()
    petition = Petition.objects.create(campaign=campaign, slug="p-2027", default_language="en")
    with pytest.raises(ValidationError) as caught:
        campaign.open_for_signing()
    messages = " ".join(caught.value.messages)
    assert "no text in its default language (en)" in messages
    assert "no open mission of China (CN)" in messages
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT

    PetitionText.objects.create(petition=petition, language="ko", title="t", body="b")
    transfer.import_rows([GOOD])
    with pytest.raises(ValidationError) as caught:
        campaign.open_for_signing()
    assert caught.value.messages == [
        "The petition p-2027 has no text in its default language (en): add one on the "
        "petition's page."
    ]
    PetitionText.objects.create(petition=petition, language="en", title="t", body="b")
    campaign.open_for_signing()
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.OPEN


def test_a_campaign_without_any_petition_cannot_open():
    campaign = draft()
    transfer.import_rows([GOOD])
    assert campaign.opening_problems() == ["Add a petition to the campaign first."]


def test_the_admin_refuses_to_open_it_and_says_why(client):
    user = get_user_model().objects.create_superuser("root", "root@example.org", "pw-root-1")
    client.force_login(user)
    campaign = draft("RU")
    Petition.objects.create(campaign=campaign, slug="p-2027", default_language="en")
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert 'id="opening-problems"' in page and "Russian Federation (RU)" in page
    form = client.get(url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data["organisations"] = []
    data.update(
        {
            "status": "open",
            "day_of_action": "2027-09-24",
            "petitions-TOTAL_FORMS": "0",
            "petitions-INITIAL_FORMS": "0",
            "texts-TOTAL_FORMS": "0",
            "texts-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "no open mission of Russian Federation (RU)" in html
    assert "no text in its default language" in html
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT


def test_an_open_campaign_stays_editable_when_its_directory_changes(petition):
    campaign = petition.campaign  # the demo is open, its directory not loaded in this test
    assert campaign.status == Campaign.Status.OPEN
    campaign.title = "Renamed"
    campaign.full_clean()  # no opening check on a campaign that is open already
