"""A campaign, its petition and its events speak the reader's language, not only the interface.

Titles and addressees are written per language (CampaignText, EventText, PetitionText);
pages, mail and share cards show what is written for the page's language and the
campaign's own text where nothing is. The admin shows which languages are still missing.
"""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from safepassage.campaigns.models import Campaign, CampaignText, Petition, PetitionText
from safepassage.core import rollover
from safepassage.core.demo_texts import CAMPAIGN, PETITION
from safepassage.events.models import Event, EventText

pytestmark = pytest.mark.django_db


def page(client, url: str, language: str) -> str:
    response = client.get(url, {"lang": language})
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_the_demo_petition_and_campaign_are_written_in_all_ten_languages(petition):
    languages = [code for code, _name in settings.LANGUAGES]
    assert sorted(t.language for t in petition.texts.all()) == sorted(languages)
    assert sorted(t.language for t in petition.campaign.texts.all()) == sorted(
        code for code in languages if code != "en"
    )
    assert petition.campaign.missing_languages() == []


@pytest.mark.parametrize("language", ["ja", "zh-hant", "de"])
def test_the_signing_page_shows_the_title_and_addressee_of_its_language(client, petition, language):
    shown = page(client, petition.get_absolute_url(), language)
    assert PETITION[language][0] in shown
    assert CAMPAIGN[language].target_title in shown
    assert CAMPAIGN[language].target_person in shown
    english = page(client, petition.get_absolute_url(), "en")
    assert CAMPAIGN["en"].target_title in english
    assert CAMPAIGN[language].target_title not in english


def test_a_language_without_its_own_text_shows_the_campaigns_own(client, petition):
    CampaignText.objects.filter(campaign=petition.campaign, language="nl").delete()
    shown = page(client, petition.get_absolute_url(), "nl")
    assert CAMPAIGN["en"].target_title in shown
    assert "nl" in petition.campaign.missing_languages()


def test_writing_a_title_reaches_the_cached_signing_page_at_once(client, petition):
    page(client, petition.get_absolute_url(), "fr")  # cached now
    text = CampaignText.objects.get(campaign=petition.campaign, language="fr")
    text.target_person = "M. Xi Jinping"
    text.save()
    assert "M. Xi Jinping" in page(client, petition.get_absolute_url(), "fr")


def test_the_campaign_page_and_home_page_use_the_language(client, petition):
    slug = petition.campaign.slug
    assert CAMPAIGN["ko"].title in page(client, reverse("reports:campaign", args=[slug]), "ko")
    assert PETITION["pt"][0] in page(client, reverse("core:home"), "pt")


def test_a_copy_shown_in_another_language_cannot_be_saved(petition):
    shown = petition.campaign.in_language("ja")
    assert shown.title == CAMPAIGN["ja"].title
    assert shown is not petition.campaign
    with pytest.raises(TypeError):
        shown.save()
    petition.campaign.refresh_from_db()
    assert petition.campaign.title == CAMPAIGN["en"].title
    # Without a text for the language, the campaign itself: nothing to copy.
    assert petition.campaign.in_language("xx") is petition.campaign
    assert petition.in_language("xx") is petition


def event_of(campaign: Campaign) -> Event:
    start = timezone.now() + dt.timedelta(days=20)
    event = Event.objects.create(
        campaign=campaign,
        kind=Event.Kind.VIGIL,
        title="Candlelight vigil",
        description="We gather in silence.",
        city="Tokyo",
        country="JP",
        starts_at=start,
        time_zone="Asia/Tokyo",
        status=Event.Status.PLANNED,
    )
    EventText.objects.create(
        event=event, language="ja", title="キャンドル追悼集会", description="静かに集まります。"
    )
    return event


def test_an_event_shows_its_title_in_the_readers_language(client, petition):
    event = event_of(petition.campaign)
    url = reverse("events:event", args=[event.uuid])
    japanese = page(client, url, "ja")
    assert "キャンドル追悼集会" in japanese and "静かに集まります。" in japanese
    assert "Candlelight vigil" in page(client, url, "en")
    listing = page(client, reverse("events:list", args=[petition.campaign.slug]), "ja")
    assert "キャンドル追悼集会" in listing
    assert "nl" in event.missing_languages() and "ja" not in event.missing_languages()


def test_the_admin_shows_which_languages_are_still_to_write(admin_client, petition):
    campaign = petition.campaign
    CampaignText.objects.filter(campaign=campaign, language__in=["de", "nl"]).delete()
    PetitionText.objects.filter(petition=petition, language="es").delete()
    text = admin_client.get(
        reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    ).content.decode()
    assert 'class="missing-languages">German, Dutch<' in text
    listing = admin_client.get(reverse("admin:campaigns_petition_changelist")).content.decode()
    assert 'class="missing-languages">Spanish<' in listing
    event = event_of(campaign)
    text = admin_client.get(reverse("admin:events_event_change", args=[event.pk])).content.decode()
    assert "Korean" in text.split('class="missing-languages">')[1][:300]


def test_next_years_campaign_keeps_the_titles_and_addressees(petition):
    old = petition.campaign
    event = event_of(old)
    result = rollover.start_next_year(
        old,
        title="Save North Korean Refugees Day",
        slug="snkrd-next",
        day_of_action=old.day_of_action + dt.timedelta(days=365),
    )
    new = result.campaign
    texts = {t.language: t for t in new.texts.all()}
    assert texts["ja"].target_person == CAMPAIGN["ja"].target_person
    assert len(texts) == len(CAMPAIGN) - 1
    copy = new.events.get(title=event.title)
    assert copy.texts.get(language="ja").title == "キャンドル追悼集会"
    new_petition = Petition.objects.get(campaign=new)
    assert new_petition.texts.count() == len(PETITION)
