"""Text that is not clean UTF-8 is refused with a 400 page and never stored (core.middleware)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse

from conftest import sign_data
from safepassage.campaigns.models import Campaign
from safepassage.core.middleware import clean_json, clean_urlencoded
from safepassage.outbox.models import Message
from safepassage.reports.models import AfterActionReport
from safepassage.signatures.models import Signature

FORM = "application/x-www-form-urlencoded"
BOUNDARY = "sp-test-boundary-7c1e"


@pytest.fixture(autouse=True)
def _fresh_cache(settings: Any) -> None:
    cache.clear()


def urlencoded(**overrides: bytes) -> bytes:
    """A complete signing form as raw bytes; overrides are put in as given (not escaped)."""
    fields = {key: value.encode() for key, value in sign_data().items()}
    fields.update(overrides)
    return b"&".join(key.encode() + b"=" + value for key, value in fields.items())


def multipart(
    fields: dict[str, bytes], files: dict[str, tuple[bytes, bytes]] | None = None
) -> bytes:
    out = b""
    for name, value in fields.items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value + b"\r\n"
    for name, (filename, content) in (files or {}).items():
        out += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="'.encode()
        out += filename + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n"
    return out + f"--{BOUNDARY}--\r\n".encode()


def post_multipart(client: Any, url: str, body: bytes) -> Any:
    return client.generic(
        "POST", url, body, content_type=f"multipart/form-data; boundary={BOUNDARY}"
    )


def stored() -> tuple[int, int]:
    return Signature.objects.count(), Message.objects.count()


def assert_refused(response: Any) -> None:
    assert response.status_code == 400
    assert "not valid UTF-8" in response.content.decode()


def test_the_reported_garbage_is_refused_on_the_signing_page_and_nothing_is_stored(
    client, petition
):
    url = reverse("signatures:sign", args=[petition.slug])
    before = stored()
    body = urlencoded(first_name=b"%FF%FE%C3%28", city=b"\xff\xfe")
    response = client.generic("POST", url, body, content_type=FORM)
    assert_refused(response)
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Content-Security-Policy" in response.headers
    assert stored() == before


@pytest.mark.parametrize(
    "field",
    [b"%FF%FE%C3%28", b"\xff\xfe", b"Ji%00woo", b"Ji\x1bwoo", b"%ED%A0%80", b"%C0%AF"],
    ids=["escaped-bytes", "raw-bytes", "nul", "escape-char", "surrogate", "overlong"],
)
def test_each_kind_of_garbage_in_a_form_is_refused(client, petition, field):
    url = reverse("signatures:sign", args=[petition.slug])
    before = stored()
    response = client.generic("POST", url, urlencoded(first_name=field), content_type=FORM)
    assert_refused(response)
    assert stored() == before


def test_the_reported_garbage_is_refused_as_multipart_too(client, petition):
    url = reverse("signatures:sign", args=[petition.slug])
    before = stored()
    fields = {key: value.encode() for key, value in sign_data().items()}
    fields.update(first_name=b"\xff\xfe\xc3(", city=b"\xff\xfe")
    assert_refused(post_multipart(client, url, multipart(fields)))
    assert stored() == before


def test_a_file_name_that_is_not_utf8_is_refused_but_binary_file_content_is_not(client, petition):
    url = reverse("signatures:sign", args=[petition.slug])
    fields = {key: value.encode() for key, value in sign_data().items()}
    before = stored()
    bad_name = multipart(fields, {"photo": (b"\xff\xfe.jpg", b"\x00\xff binary")})
    assert_refused(post_multipart(client, url, bad_name))
    assert stored() == before
    binary = multipart(fields, {"photo": ("사진.jpg".encode(), b"\x00\xff\xfe binary \x1b")})
    response = post_multipart(client, url, binary)
    assert response.status_code == 302
    assert stored()[0] == before[0] + 1


def test_a_declared_charset_other_than_utf8_is_refused(client, petition):
    url = reverse("signatures:sign", args=[petition.slug])
    response = client.generic("POST", url, urlencoded(), content_type=f"{FORM}; charset=iso-8859-1")
    assert_refused(response)


def test_garbage_in_a_query_string_is_refused(client, petition):
    url = reverse("signatures:sign", args=[petition.slug])
    assert client.get(url, QUERY_STRING="lang=%FF").status_code == 400
    assert client.get(url, QUERY_STRING="q=%E2%9C%93").status_code == 200


@pytest.mark.parametrize(
    ("first", "last", "city"),
    [("지우", "김", "서울"), ("ليلى", "حداد", "عمّان"), ("Zoë", "O'Brien", "Saint-Étienne")],
)
def test_names_in_any_script_are_still_accepted_and_stored_exactly(
    client, petition, first, last, city
):
    url = reverse("signatures:sign", args=[petition.slug])
    data = sign_data(first_name=first, last_name=last, city=city, email=f"{city}@example.org")
    response = client.post(url, data)
    assert response.status_code == 302
    signature = Signature.objects.get(first_name=first)
    assert (signature.last_name, signature.city) == (last, city)


def test_a_textarea_keeps_its_line_breaks_and_tabs():
    assert clean_urlencoded(b"notes=one%0D%0Atwo%09three")
    assert not clean_urlencoded(b"notes=one%0Btwo")


def test_the_api_refuses_garbage_in_json(client, petition):
    url = "/api/campaigns/x/deliveries/y/record"
    raw = client.generic("POST", url, b'{"notes": "\xff\xfe"}', content_type="application/json")
    assert raw.status_code == 400
    assert "not valid UTF-8" in raw.json()["detail"]
    escaped = client.generic(
        "POST", url, b'{"notes": "a\\u0000b", "by": "\\ud800"}', content_type="application/json"
    )
    assert escaped.status_code == 400
    assert clean_json(b'{"notes": "line\\nbreak", "x": ["\\u00e9"]}')
    assert not clean_json(b'{"a": {"b": ["\\ud83d"]}}')


@pytest.fixture
def superuser_client(db: None, client: Any) -> Any:
    boss = get_user_model().objects.create_superuser("boss", password="a-long-test-password-1")
    client.force_login(boss)
    return client


def test_an_admin_form_refuses_garbage_and_keeps_the_old_value(superuser_client, petition):
    campaign = petition.campaign
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    body = b"title=%FF%FESave&year=2026&slug=" + campaign.slug.encode()
    assert_refused(superuser_client.generic("POST", url, body, content_type=FORM))
    assert Campaign.objects.get(pk=campaign.pk).title == campaign.title


def test_a_team_form_refuses_garbage(superuser_client, petition):
    url = reverse("reports:report_edit", kwargs={"campaign": petition.campaign.slug})
    body = b"title=Report%FF&introduction=x&closing=y"
    assert_refused(superuser_client.generic("POST", url, body, content_type=FORM))
    body = multipart({"title": b"Report \xc3\x28", "introduction": b"x", "closing": b"y"})
    assert_refused(post_multipart(superuser_client, url, body))
    assert not AfterActionReport.objects.filter(title__startswith="Report").exists()
