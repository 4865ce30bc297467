"""The embeddable signing form: who may frame it, its cookie-less form token, the partner."""

from __future__ import annotations

import html
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from conftest import sign_data
from personas import coordinator_of, make_user, organiser_of, user_with_role
from safepassage.accounts.models import Role
from safepassage.campaigns.models import Organisation
from safepassage.outbox.models import Message
from safepassage.reports.stats import refresh_stats
from safepassage.signatures import services
from safepassage.signatures.embeds import EmbedOrigin, embed_partners, validate_origin
from safepassage.signatures.models import Signature

pytestmark = pytest.mark.django_db

PARTNER_SITE = "https://partner.example"


@pytest.fixture
def partner(petition):
    organisation = petition.campaign.organisations.order_by("pk").first()
    assert organisation is not None
    EmbedOrigin.objects.create(
        campaign=petition.campaign, organisation=organisation, origin=PARTNER_SITE
    )
    return organisation


def embed_url(petition, partner=None) -> str:
    url = reverse("signatures:embed", args=[petition.slug])
    return f"{url}?partner={partner.slug}" if partner else url


def csp(response) -> dict[str, str]:
    policy = response["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


@pytest.mark.parametrize(
    "origin",
    ["https://partner.example", "http://localhost:8001", "https://xn--9n2bp8q.example:8443",
     "https://[::1]:8443", "http://127.0.0.1:9000", "HTTPS://Partner.Example/"],
)  # fmt: skip
def test_origins_are_scheme_host_and_port(origin):
    validate_origin(origin)


@pytest.mark.parametrize(
    "origin",
    ["partner.example", "https://partner.example/petition", "https://*.partner.example",
     "javascript:alert(1)", "https://user@partner.example", "ftp://partner.example",
     "https://partner.example:99999", "https://partner.example?x=1", "'none'", "*",
     "https://partner.example; script-src *"],
)  # fmt: skip
def test_anything_else_is_refused(origin):
    with pytest.raises(ValidationError):
        validate_origin(origin)


def test_only_a_member_organisation_of_the_campaign_may_embed(petition):
    stranger = Organisation.objects.create(name="Not a member", slug="not-a-member")
    row = EmbedOrigin(campaign=petition.campaign, organisation=stranger, origin=PARTNER_SITE)
    with pytest.raises(ValidationError):
        row.full_clean()


def test_the_main_site_may_not_be_framed(client, petition, partner):
    response = client.get(petition.get_absolute_url())
    assert csp(response)["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_the_embed_names_the_partners_origins_and_sets_no_cookie(petition, partner):
    response = Client().get(embed_url(petition, partner))
    assert response.status_code == 200
    assert csp(response)["frame-ancestors"] == PARTNER_SITE
    assert "X-Frame-Options" not in response
    assert not response.cookies
    body = response.content.decode()
    assert 'name="embed_token"' in body and "csrfmiddlewaretoken" not in body
    assert 'class="site-header"' not in body


def test_one_partner_cannot_frame_the_form_as_another(petition, partner):
    other = Organisation.objects.create(name="Second partner", slug="second-partner")
    petition.campaign.organisations.add(other)
    EmbedOrigin.objects.create(
        campaign=petition.campaign, organisation=other, origin="https://second.example"
    )
    assert csp(Client().get(embed_url(petition, partner)))["frame-ancestors"] == PARTNER_SITE
    both = csp(Client().get(embed_url(petition)))["frame-ancestors"].split()
    assert sorted(both) == [PARTNER_SITE, "https://second.example"]


def test_without_allowed_origins_the_embed_is_refused_like_the_site(petition):
    response = Client().get(embed_url(petition))
    assert csp(response)["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def token_of(response) -> str:
    match = re.search(r'name="embed_token" value="([^"]+)"', response.content.decode())
    assert match
    return match.group(1)


def test_a_signature_through_the_embed_carries_the_partner(petition, partner):
    browser = Client(enforce_csrf_checks=True)  # as a framed page: no cookie at all
    token = token_of(browser.get(embed_url(petition, partner)))
    data = sign_data(email="embed.signer@example.org", embed_token=token)
    response = browser.post(embed_url(petition, partner), data, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("signatures:embed_thanks", args=[petition.slug]))
    signature = Signature.objects.get()
    assert signature.embed_partner == partner
    assert signature.channel == Signature.Channel.ONLINE and signature.source == ""
    thanks = browser.get(response["Location"])
    assert thanks.status_code == 200
    assert csp(thanks)["frame-ancestors"] == PARTNER_SITE
    services.confirm(signature)
    stats = refresh_stats(petition.campaign)
    assert stats.by_embed_partner == {str(partner.pk): 1}
    assert embed_partners(stats) == [[partner.name, 1]]


def test_the_embed_path_is_the_signing_path_with_the_same_checks(petition, partner):
    browser = Client(enforce_csrf_checks=True)
    token = token_of(browser.get(embed_url(petition, partner)))
    bad = sign_data(email="not-an-address", embed_token=token)
    response = browser.post(embed_url(petition, partner), bad, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()
    assert not Signature.objects.exists()


def test_the_embed_answers_a_repeat_signer_exactly_as_a_new_one(petition, partner):
    """No 'already signed' oracle through a partner's page either (brief, invariant 2)."""

    def sign(email: str):
        browser = Client(enforce_csrf_checks=True)
        token = token_of(browser.get(embed_url(petition, partner)))
        data = sign_data(email=email, embed_token=token)
        return browser.post(embed_url(petition, partner), data, HTTP_ORIGIN="http://testserver")

    first, again = sign("twice@example.org"), sign("twice@example.org")
    other = sign("someone.else@example.org")
    answers = {(r.status_code, r["Location"].split("?")[0]) for r in (first, again, other)}
    assert len(answers) == 1
    assert Signature.objects.count() == 2  # one signature per person
    # The repeat is told by mail (a "signed again" message), never on the page.
    kinds = sorted(Message.objects.values_list("kind", flat=True))
    assert kinds == sorted([Message.Kind.SIGNATURE_CONFIRM] * 2 + [Message.Kind.SIGNATURE_REPEAT])


@pytest.mark.parametrize("case", ["no token", "forged", "other site", "other petition"])
def test_a_post_without_a_fresh_token_from_our_own_page_is_refused(petition, partner, case):
    browser = Client(enforce_csrf_checks=True)
    token = token_of(browser.get(embed_url(petition, partner)))
    origin = "http://testserver"
    data = sign_data(embed_token=token)
    if case == "no token":
        del data["embed_token"]
    elif case == "forged":
        data["embed_token"] = token[:-2] + "xx"
    elif case == "other site":
        origin = PARTNER_SITE  # a page on the partner's site posting to us directly
    else:
        data["embed_token"] = token.replace(f"{petition.pk}:", f"{petition.pk + 1}:", 1)
    response = browser.post(embed_url(petition, partner), data, HTTP_ORIGIN=origin)
    assert response.status_code == 403
    assert not Signature.objects.exists()


def test_the_main_form_still_requires_django_csrf(petition):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(petition.get_absolute_url(), sign_data())
    assert response.status_code == 403


def test_the_report_shows_signatures_per_embed_partner(petition, partner, client):
    browser = Client()
    token = token_of(browser.get(embed_url(petition, partner)))
    browser.post(embed_url(petition, partner), sign_data(embed_token=token))
    services.confirm(Signature.objects.get())
    stats = refresh_stats(petition.campaign)
    assert stats.by_embed_partner == {str(partner.pk): 1}


def test_the_team_page_shows_each_partner_its_own_snippet(petition, partner, settings):
    campaign = petition.campaign
    other = campaign.organisations.exclude(pk=partner.pk).order_by("pk").first()
    assert other is not None
    EmbedOrigin.objects.create(campaign=campaign, organisation=other, origin="https://b.example")
    url = reverse("signatures:embed_snippet", args=[campaign.slug])
    organiser = Client()
    organiser.force_login(organiser_of(campaign, "olga-embed"))
    page = organiser.get(url).content.decode()
    assert PARTNER_SITE in page and "https://b.example" in page
    snippet = f"{settings.SITE_URL}/embed/p/{petition.slug}/?partner={partner.slug}"
    assert snippet in page
    textarea = re.search(rf'<textarea id="snippet-{partner.pk}-[^>]*>([^<]*)</textarea>', page)
    assert textarea is not None
    iframe = html.unescape(textarea.group(1))
    assert iframe.startswith(f'<iframe src="{snippet}')
    for attribute in ('title="Sign the petition"', 'width="100%"', 'loading="lazy"'):
        assert attribute in iframe
    editor = Client()
    editor.force_login(
        user_with_role("pat", campaign, Role.Kind.PARTNER_EDITOR, organisation=partner)
    )
    page = editor.get(url).content.decode()
    assert PARTNER_SITE in page and "https://b.example" not in page
    coordinator = Client()
    coordinator.force_login(coordinator_of(campaign, "cora", "US", "Washington"))
    assert coordinator.get(url).status_code == 403
    stranger = Client()
    stranger.force_login(make_user("stranger"))
    assert stranger.get(url).status_code == 404


def test_the_embed_speaks_the_signers_language(petition, partner):
    response = Client().get(embed_url(petition, partner), HTTP_ACCEPT_LANGUAGE="ko")
    body = response.content.decode()
    assert '<html lang="ko"' in body
    assert "새 창에서 청원 열기" in body
    thanks = Client().get(
        reverse("signatures:embed_thanks", args=[petition.slug]), HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert "양식으로 돌아가기" in thanks.content.decode()
