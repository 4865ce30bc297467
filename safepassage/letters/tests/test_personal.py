"""The personal letter tool: a confirmed signer writes to their nearest mission."""

from __future__ import annotations

import hashlib
import html
import io
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.apps import apps
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import pgettext
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pypdf import PdfReader

from personas import route, route_of
from safepassage.directory.models import Mission
from safepassage.letters import personal
from safepassage.letters.models import Letter
from safepassage.signatures import services
from safepassage.signatures.models import Signature
from safepassage.signatures.tokens import link_token

pytestmark = pytest.mark.django_db

TARGET = "Xi Jinping"  # the demo campaign's target person


def make_mission(key: str, kind: str, country: str, city: str, lat: float, lon: float, **extra):
    return Mission.objects.create(
        key=key,
        sending_state="CN",
        kind=kind,
        host_country=country,
        city=city,
        latitude=lat,
        longitude=lon,
        source="https://example.org/missions",
        **extra,
    )


def make_signature(petition, *, mission=None, status="confirmed", **extra) -> Signature:
    values = {
        "first_name": "Ji-woo",
        "last_name": "Kim",
        "city": "Berlin",
        "region": "DE-BE",
        "country": "DE",
        "language": "en",
        **extra,
    }
    email = f"{values['first_name']}.{values['last_name']}@example.org".lower()
    signature = Signature.objects.create(
        petition=petition,
        status=status,
        confirmed_at=timezone.now() if status == "confirmed" else None,
        publish_name=True,
        contact="count",
        email_hash=hashlib.sha256(email.encode()).hexdigest(),
        consent_version="test",
        consent_hash="0" * 64,
        **values,
    )
    if mission:
        route(signature, mission)
    return signature


@pytest.fixture(autouse=True)
def _clean_cache():
    cache.clear()


@pytest.fixture
def missions(petition):
    return {
        "berlin": make_mission(
            "cn-e-de",
            "embassy",
            "DE",
            "Berlin",
            52.51,
            13.42,
            name="Embassy of the People's Republic of China in Germany",
            postal_address="Märkisches Ufer 54\n10179 Berlin",
            email="embassy-de@mission.example",
        ),
        "munich": make_mission(
            "cn-cg-munich",
            "consulate_general",
            "DE",
            "Munich",
            48.16,
            11.53,
            name="Consulate-General of the People's Republic of China in Munich",
            postal_address="Romanstraße 107\n80639 München",
        ),
        "seoul": make_mission(
            "cn-e-kr",
            "embassy",
            "KR",
            "Seoul",
            37.57,
            126.98,
            name="Embassy of the People's Republic of China in the Republic of Korea",
            postal_address="27 Myeongdong 2-gil, Jung-gu\n04536 Seoul",
            email="embassy-kr@mission.example",
        ),
    }


@pytest.fixture
def signer(petition, missions):
    return make_signature(petition, mission=missions["berlin"])


def body_of(page: str) -> str:
    match = re.search(r'<textarea name="body"[^>]*>\n(.*?)</textarea>', page, re.S)
    assert match, "no letter body on the page"
    return html.unescape(match[1])


def options_of(page: str) -> list[int]:
    """The missions the picker offers, in order."""
    select = re.search(r'<select name="mission"[^>]*>(.*?)</select>', page, re.S)
    assert select
    return [int(pk) for pk in re.findall(r'<option value="(\d+)"', select[1])]


def url(signature: Signature) -> str:
    return personal.letter_url(signature)


def form_data(**overrides: str) -> dict[str, str]:
    data = {
        "mission": "",
        "signer_name": "Ji-woo Kim",
        "sender_address": "",
        "subject": "Please let them reach safety",
        "body": "Dear Ambassador,\n\nIn my own words: please stop sending refugees back.",
        "closing": "With respect,",
        "action": "pdf",
    }
    data.update(overrides)
    return data


def pdf_text(pdf: bytes) -> tuple[str, dict[str, object]]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() or "" for page in reader.pages)
    return text, dict(reader.metadata or {})


def mailto_of(content: str) -> str:
    hrefs = re.findall(r'<a href="(mailto:[^"]+)" id="mailto-link">', content)
    assert len(hrefs) == 1, "expected exactly one mailto link"
    return html.unescape(hrefs[0])


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


# --- The editor ----------------------------------------------------------------------


def test_a_confirmed_signer_gets_a_letter_written_for_one_person(client, signer):
    response = client.get(url(signer))
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    # The mission and its address.
    assert "Embassy of the People's Republic of China in Germany" in page
    assert "Märkisches Ufer 54" in page
    assert "10179 Berlin" in page
    body = body_of(response.content.decode())
    # First person singular, the signer's own name and city, the petition they signed.
    assert body.startswith("Your Excellency,")
    assert "My name is Ji-woo Kim. I live in Berlin, Germany" in body
    assert "I have signed the petition “Let North Korean refugees in China reach safety”" in body
    assert (
        "I am writing to the Embassy of the People's Republic of China in Germany and ask you "
        f"to forward my letter to {TARGET}." in body
    )
    assert "September 24, 2026" in body
    # Never the coalition's cover letter, although the demo campaign has one.
    assert Letter.objects.filter(campaign=signer.petition.campaign, organisation=None).exists()
    for coalition_words in ("names follow", "we hand over", "signed by", "We would", " we "):
        assert coalition_words not in body
    assert "{{" not in page
    assert 'value="Ji-woo Kim"' in page
    assert f'value="My personal appeal to {TARGET}"' in page
    assert 'value="Yours respectfully,"' in page
    # The page says nothing is kept, and never shows the signer's address.
    assert 'id="nothing-kept"' in page
    assert "@example.org" not in page


def test_the_pdf_has_the_edited_text_the_mission_and_the_signer(client, signer, missions):
    berlin = missions["berlin"]
    response = client.post(
        url(signer),
        form_data(
            mission=str(berlin.pk),
            signer_name="Ji-woo Kim-Park",
            body="Dear Ambassador,\n\nI ask you, in {{ mission_city }}, to let them go.\n\n"
            "**No forced returns.**",
        ),
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="letter-embassy-of-the-peoples-republic-of-china-in-germany.pdf"'
    )
    assert response["Cache-Control"].startswith("max-age=0")
    text, metadata = pdf_text(response.content)
    flat = " ".join(text.split())
    assert "I ask you, in Berlin, to let them go." in flat
    assert "No forced returns." in flat and "**" not in flat
    assert "Embassy of the People's Republic of China in Germany" in flat
    assert "Märkisches Ufer 54" in flat and "10179 Berlin" in flat and "GERMANY" in flat
    assert "Ji-woo Kim-Park" in flat
    assert "Please let them reach safety" in flat and "With respect," in flat
    # No e-mail address at all: not the signer's, not the mission's.
    assert "@" not in text
    assert not any("@" in f"{key}{value}" for key, value in metadata.items())
    assert b"embassy-de@mission.example" not in response.content
    assert metadata.get("/Title") == "Please let them reach safety"


def test_an_at_sign_the_signer_typed_is_printed(client, signer, missions):
    response = client.post(
        url(signer),
        form_data(mission=str(missions["berlin"].pk), body="Reply to me at kim@example.net."),
    )
    text, _ = pdf_text(response.content)
    assert "kim@example.net" in text


def test_an_unknown_merge_field_is_reported_and_the_text_kept(client, signer, missions):
    body = "Dear {{ ambassador_name }},\n\nMy own paragraph stays here."
    before = row_counts()
    response = client.post(url(signer), form_data(mission=str(missions["berlin"].pk), body=body))
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = html.unescape(response.content.decode())
    error = re.search(r'<p class="error" id="body-error">([^<]+)</p>', page)
    assert error and "ambassador_name" in error.group(1)
    assert body.replace("\n", "\r\n") in page or body in page
    assert row_counts() == before


def test_an_overlong_letter_is_refused_and_kept(client, signer, missions):
    body = "x" * (personal.MAX_BODY + 1)
    response = client.post(url(signer), form_data(mission=str(missions["berlin"].pk), body=body))
    assert response.status_code == 400
    page = response.content.decode()
    assert 'id="body-error"' in page
    assert f'maxlength="{personal.MAX_BODY}"' in page


def test_pending_withdrawn_and_forged_links_get_the_invalid_page(client, petition, signer):
    pending = make_signature(petition, status="pending", first_name="Min-jun", last_name="Park")
    forged = reverse("letters:personal", args=[signer.uuid, link_token("confirm", signer.uuid)])
    other = reverse("letters:personal", args=[signer.uuid, personal.letter_token(pending.uuid)])
    for address in (url(pending), forged, other):
        for response in (client.get(address), client.post(address, form_data())):
            assert response.status_code == 404
            assert "This link is not valid any more" in response.content.decode()
    withdrawn_url = url(signer)
    assert client.get(withdrawn_url).status_code == 200
    services.erase(signer, reason="withdrawn")
    response = client.get(withdrawn_url)
    assert response.status_code == 404
    assert "This link is not valid any more" in response.content.decode()


def test_the_mailto_link_carries_the_letter_to_the_missions_address(client, signer):
    page = client.get(url(signer)).content.decode()
    href = mailto_of(page)
    parts = urlsplit(href)
    assert parts.scheme == "mailto"
    assert parts.path == "embassy-de@mission.example"
    query = parts.query
    # Percent-encoded: no raw spaces or line breaks, CRLF line breaks (RFC 6068).
    assert " " not in query and "\n" not in query
    assert "%20" in query and "%0D%0A" in query
    fields = parse_qs(query)
    assert fields["subject"] == [f"My personal appeal to {TARGET}"]
    [body] = fields["body"]
    assert "I am writing to the Embassy of the People's Republic of China in Germany" in body
    assert "My name is Ji-woo Kim." in body
    assert body.rstrip().endswith("Yours respectfully,\r\nJi-woo Kim")
    assert "example.org" not in href


def test_an_edited_letter_is_prepared_as_an_e_mail(client, signer, missions):
    response = client.post(
        url(signer),
        form_data(
            mission=str(missions["berlin"].pk),
            action="email",
            body="Dear Ambassador,\n\nLet them go & be safe; 100% of us ask.",
        ),
    )
    assert response.status_code == 200
    href = mailto_of(response.content.decode())
    assert "%26%20be%20safe%3B%20100%25%20of%20us" in href
    [body] = parse_qs(urlsplit(href).query)["body"]
    assert body.startswith("Dear Ambassador,\r\n\r\nLet them go & be safe; 100% of us ask.")
    assert "With respect,\r\nJi-woo Kim" in body


def test_a_mission_without_e_mail_gets_the_postal_address_instead(client, signer, missions):
    response = client.get(url(signer) + f"?mission={missions['munich'].pk}")
    page = html.unescape(response.content.decode())
    assert 'id="no-email"' in page
    assert "mailto:" not in page
    assert "Romanstraße 107" in page
    assert 'id="email-button"' not in page
    assert (
        "I am writing to the Consulate-General of the People's Republic of China in Munich" in page
    )


def test_the_picker_starts_at_the_signers_mission_and_offers_only_its_country(
    client, signer, missions
):
    page = client.get(url(signer)).content.decode()
    berlin, munich = missions["berlin"], missions["munich"]
    assert f'<option value="{berlin.pk}" selected>' in page
    # Not every mission in one menu: the signer's country, until they search.
    assert sorted(options_of(page)) == sorted([berlin.pk, munich.pk])
    assert missions["seoul"].pk not in options_of(page)
    assert 'role="search"' in page and 'name="q"' in page


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Seoul", "seoul"),  # a mission's city
        ("korea", "seoul"),  # a country, any case
        ("Südkorea", "seoul"),  # a country in another language
        ("Atlantis", None),  # nothing: only the current mission
        ("서울", "seoul"),  # a place, routed as the finder would
        ("Busan, South Korea", "seoul"),  # a place in another country: its mission
        ("München", "munich"),  # a place in the signer's country
        ("consulate-general", "munich"),  # part of a name
    ],
)
def test_the_picker_searches_without_javascript(client, signer, missions, query, found):
    page = client.get(url(signer), {"q": query}).content.decode()
    offered = options_of(page)
    berlin = missions["berlin"]
    assert berlin.pk in offered  # the mission chosen stays offered and selected
    assert f'<option value="{berlin.pk}" selected>' in page
    result = html.unescape(page.split('id="search-result"')[1].split("</p>")[0])
    if found:
        assert missions[found].pk in offered
        assert "for “" in result and "No embassy" not in result
    else:
        assert offered == [berlin.pk]
        assert f"No embassy or consulate matches “{query}”" in result
    assert f'value="{html.escape(query)}"' in page or f'value="{query}"' in page


def test_a_signer_without_a_mission_is_offered_every_mission(client, petition, missions):
    # Nowhere routing can place (no mission of the target government anywhere near
    # is impossible, so: a signature whose mission closed and nothing is routable).
    chosen, _matched = personal.picker_missions(
        list(personal.missions_for(petition.campaign)),
        chosen=None,
        routed=None,
        query="",
        country="DE",
        language="en",
    )
    assert {m.pk for m in chosen} == {m.pk for m in missions.values()}


def test_the_signer_can_choose_another_mission(client, signer, missions):
    seoul = missions["seoul"]
    response = client.get(url(signer), {"mission": str(seoul.pk), "q": "Seoul"})
    assert response.status_code == 200
    page = html.unescape(response.content.decode())
    assert "27 Myeongdong 2-gil, Jung-gu" in page
    assert (
        "I am writing to the Embassy of the People's Republic of China in the Republic of Korea"
        in body_of(response.content.decode())
    )
    assert f'<option value="{seoul.pk}" selected>' in page
    assert f'<input type="hidden" name="mission" value="{seoul.pk}"' in page
    assert "mailto:embassy-kr@mission.example?" in page
    # The way back to the signer's own mission.
    assert 'id="back-to-own"' in page


def test_a_mission_of_another_government_cannot_be_chosen(client, signer, missions):
    elsewhere = make_mission("kp-e-de", "embassy", "DE", "Berlin", 52.5, 13.4, name="DPRK")
    elsewhere.sending_state = "KP"
    elsewhere.save()
    page = client.get(url(signer), {"mission": str(elsewhere.pk)}).content.decode()
    assert "Märkisches Ufer 54" in page and "DPRK" not in page
    response = client.post(url(signer), form_data(mission=str(elsewhere.pk)))
    assert response.status_code == 400


def test_generating_letters_stores_nothing(client, signer, missions):
    before = row_counts()
    address = url(signer)
    assert client.get(address).status_code == 200
    assert client.get(address, {"mission": str(missions["seoul"].pk)}).status_code == 200
    for action in ("pdf", "email"):
        response = client.post(address, form_data(mission=str(missions["seoul"].pk), action=action))
        assert response.status_code == 200
    assert row_counts() == before
    assert route_of(signer)[0] == missions["berlin"].pk


def test_an_unrouted_signer_is_routed_in_memory_only(client, petition, missions):
    signature = make_signature(
        petition, mission=None, city="Munich", region="DE-BY", first_name="Hana"
    )
    before = row_counts()
    page = html.unescape(client.get(url(signature)).content.decode())
    assert "Romanstraße 107" in page
    assert f'<option value="{missions["munich"].pk}" selected>' in page
    assert route_of(signature) == (None, "")
    assert row_counts() == before


def test_the_letter_is_written_in_the_signers_language(client, petition, missions):
    signature = make_signature(
        petition,
        mission=missions["seoul"],
        language="ko",
        first_name="지우",
        last_name="김",
        city="서울",
        region="KR-11",
        country="KR",
    )
    response = client.get(url(signature))
    body = body_of(response.content.decode())
    assert body.startswith("안녕하십니까.")
    assert "저는 대한민국 서울에 사는 김지우입니다." in body  # family name first
    assert "“중국 내 탈북 난민에게 안전한 길을”" in body  # the petition's Korean title
    assert "2026년 9월 24일" in body
    assert "Your Excellency" not in body and "My name is" not in body
    page = html.unescape(response.content.decode())
    # The addressee as the campaign writes it in Korean (core/demo_texts.py).
    assert 'value="시진핑 님께 드리는 개인 편지"' in page
    response = client.post(
        url(signature),
        form_data(
            mission=str(missions["seoul"].pk),
            signer_name="김지우",
            subject="탈북 난민",
            body=body,
            closing="존경을 담아,",
        ),
    )
    text, _ = pdf_text(response.content)
    flat = " ".join(text.split())
    assert "저는 대한민국 서울에 사는 김지우입니다." in flat
    assert "김지우" in flat


def test_a_language_the_letter_is_not_written_in_gets_the_petitions(client, petition, missions):
    # Klingon the site does not speak: a letter half in one language and half in
    # another would be worse than one in English.
    signature = make_signature(petition, mission=missions["berlin"], language="tlh")
    body = body_of(client.get(url(signature)).content.decode())
    assert body.startswith("Your Excellency,")
    assert "I live in Berlin, Germany," in body
    assert "September 24, 2026" in body


def test_a_japanese_signer_gets_the_letter_in_japanese_to_the_addressee_in_japanese(
    client, petition, missions
):
    signature = make_signature(petition, mission=missions["berlin"], language="ja")
    body = body_of(client.get(url(signature)).content.decode())
    with translation.override("ja"):
        salutation = pgettext("personal letter", "Your Excellency,")
    assert salutation != "Your Excellency," and body.startswith(salutation)
    assert "習近平" in body and "Xi Jinping" not in body  # the campaign's Japanese addressee


def test_without_the_campaigns_sample_letter_the_personal_one_is_there(client, petition, missions):
    Letter.objects.filter(campaign=petition.campaign, organisation__isnull=True).delete()
    signature = make_signature(petition, mission=missions["berlin"])
    response = client.get(url(signature))
    assert response.status_code == 200
    assert "My name is Ji-woo Kim." in body_of(response.content.decode())
    response = client.post(
        url(signature), form_data(mission=str(missions["berlin"].pk), body="My letter.")
    )
    assert response["Content-Type"] == "application/pdf"
    assert "My letter." in pdf_text(response.content)[0]


def test_the_confirmation_page_links_to_the_tool(client, petition, missions):
    signature = make_signature(petition, mission=missions["berlin"], status="pending")
    confirm = reverse(
        "signatures:confirm", args=[signature.uuid, link_token("confirm", signature.uuid)]
    )
    assert url(signature) not in client.get(confirm).content.decode()
    client.post(confirm)
    page = client.get(confirm).content.decode()
    assert f'href="{url(signature)}"' in page
    assert client.get(url(signature)).status_code == 200


# --- The mailto link on its own ------------------------------------------------------


@hypothesis_settings(max_examples=60, deadline=None)
@given(subject=st.text(max_size=80), body=st.text(max_size=3000))
def test_a_mailto_link_decodes_to_the_text_or_a_marked_prefix_of_it(subject, body):
    link = personal.mailto_link("post@mission.example", subject, body, limit=2000)
    assert link.href.isascii() and " " not in link.href
    parts = urlsplit(link.href)
    assert parts.path == "post@mission.example"
    query = dict(pair.split("=", 1) for pair in parts.query.split("&"))
    assert set(query) == {"subject", "body"}
    crlf = body.replace("\r\n", "\n").replace("\n", "\r\n")
    assert unquote(query["subject"]) == subject.replace("\r\n", "\n").replace("\n", "\r\n")
    decoded = unquote(query["body"])
    if link.shortened:
        assert len(link.href) <= 2000
        assert decoded.endswith(" …")
        assert crlf.startswith(decoded.removesuffix(" …").rstrip())
    else:
        assert decoded == crlf


def test_a_long_letter_is_cut_at_a_word_for_the_mail_program(client, signer, missions):
    words = " ".join(["freedom"] * 2000)
    response = client.post(
        url(signer), form_data(mission=str(missions["berlin"].pk), action="email", body=words)
    )
    page = response.content.decode()
    href = mailto_of(page)
    assert len(href) <= personal.MAILTO_MAX
    [body] = parse_qs(urlsplit(href).query)["body"]
    assert body.endswith("freedom …")
    assert 'id="mail-shortened"' in page
    assert words in html.unescape(page)  # the whole text is offered to paste


def test_the_personal_letter_is_addressed_once(client, petition, missions):
    # The personal letter prints the date and the mission's address itself, once.
    signature = make_signature(petition, mission=missions["berlin"])
    body = body_of(client.get(url(signature)).content.decode())
    assert "{{" not in body and "Märkisches" not in body
    response = client.post(url(signature), form_data(mission=str(missions["berlin"].pk), body=body))
    text, _ = pdf_text(response.content)
    assert text.count("Märkisches Ufer 54") == 1
    assert "Your Excellency," in text
    flat = " ".join(text.split())
    assert "My name is Ji-woo Kim. I live in Berlin, Germany" in flat
    assert "names follow" not in flat


# --- Small counts ---------------------------------------------------------------------

COUNTING_BODY = "Dear Ambassador,\n\n{{ signatures_mission }} people near your mission signed."


def counted_in_mail(client, signer, mission) -> str:
    response = client.post(
        url(signer), form_data(mission=str(mission.pk), action="email", body=COUNTING_BODY)
    )
    [body] = parse_qs(urlsplit(mailto_of(response.content.decode())).query)["body"]
    return body


def test_one_signer_at_a_mission_reads_fewer_than_five(client, petition, missions):
    # The tool is open to anyone who signs, for any mission: a public surface.
    signer = make_signature(petition, mission=missions["berlin"])
    body = counted_in_mail(client, signer, missions["berlin"])
    assert "fewer than 5 people near your mission signed." in body
    assert "1 people near your mission" not in body


def test_five_signers_at_a_mission_read_the_figure(client, petition, missions):
    signer = make_signature(petition, mission=missions["berlin"])
    for n in range(4):
        make_signature(petition, mission=missions["berlin"], first_name=f"Other{n}")
    body = counted_in_mail(client, signer, missions["berlin"])
    assert "5 people near your mission signed." in body
