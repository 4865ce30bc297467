"""The signing form takes a region by the name people write, and stores its code.

Paper-list imports and API clients send "Seoul", "Maharashtra", "Bangkok" or
서울, not ISO codes; the form used to show itself again for them.
"""

from __future__ import annotations

import pytest

from conftest import sign_data
from safepassage.signatures.forms import SignForm
from safepassage.signatures.models import Signature
from safepassage.signatures.tests.test_signing import sign


@pytest.mark.parametrize(
    ("country", "region", "code"),
    [
        ("KR", "Seoul", "KR-11"),
        ("KR", "Busan", "KR-26"),
        ("KR", "서울특별시", "KR-11"),
        ("IN", "Maharashtra", "IN-MH"),
        ("TH", "Bangkok", "TH-10"),
        ("TH", "กรุงเทพมหานคร", "TH-10"),
        ("CA", "ON", "CA-ON"),
        ("CA", "ontario", "CA-ON"),
        ("RU", "Москва", "RU-MOW"),
    ],
)
def test_the_form_takes_a_region_name_and_keeps_its_code(country, region, code):
    form = SignForm(sign_data(country=country, region=region), language="en")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["region"] == code


def test_a_signature_with_a_region_name_is_stored_with_the_code(client, petition):
    response = sign(client, petition, country="KR", region="Busan", city="Busan")
    assert response.status_code in (200, 302)
    assert "Please choose your state or province" not in response.content.decode()
    assert Signature.objects.get().region == "KR-26"


def test_a_region_of_another_country_is_still_refused(client, petition):
    response = sign(client, petition, country="KR", region="Ontario")
    assert "Please choose your state or province from the list" in response.content.decode()
    assert Signature.objects.count() == 0
