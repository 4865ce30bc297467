"""/api/, where the README points, answers with a JSON index of the API."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/api/", "/api"])
def test_the_api_root_is_a_json_index_linking_the_description_and_the_docs(path):
    response = Client().get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    index = response.json()
    assert index["openapi"] == "http://testserver/api/openapi.json"
    assert index["docs"] == "http://testserver/api/docs"
    assert "/api/campaigns" in index["paths"]
    # The links work.
    client = Client()
    assert client.get("/api/openapi.json").json()["info"]["title"] == index["name"]
    assert client.get("/api/docs").status_code == 200
