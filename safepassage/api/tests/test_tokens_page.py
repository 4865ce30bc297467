"""Each user makes, sees and revokes their own tokens; the admin shows fingerprints only."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from safepassage.api.models import ApiToken, hash_token
from safepassage.api.tests.helpers import get, token_for


def test_the_page_needs_the_team_login(db):
    response = Client().get("/api/tokens/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert Client().post("/api/tokens/", {"name": "x", "scope": "read"}).status_code == 302
    assert ApiToken.objects.count() == 0


def test_a_new_token_is_shown_once_and_works(world):
    client = world.clients["coordinator_a"]
    response = client.post("/api/tokens/", {"name": "my script", "scope": "write"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    found = re.search(r'<code id="token-value">([^<]+)</code>', html)
    assert found is not None
    token = found.group(1)
    row = ApiToken.objects.get()
    assert row.user == world.users["coordinator_a"]
    assert (row.name, row.scope, row.token_hash) == ("my script", "write", hash_token(token))

    listing = client.get("/api/tokens/").content.decode()
    assert token not in listing
    assert "my script" in listing and row.prefix in listing

    me = get("/api/me", token).json()
    assert me["username"] == "coord-washington" and me["token"]["scope"] == "write"


def test_invalid_form_makes_no_token(world):
    client = world.clients["organiser"]
    response = client.post("/api/tokens/", {"name": "", "scope": "admin"})
    assert response.status_code == 200
    assert 'id="token-value"' not in response.content.decode()
    assert ApiToken.objects.count() == 0


def test_users_revoke_their_own_tokens_only(world):
    mine = ApiToken.issue(world.users["organiser"], "mine", "read")[0]
    theirs, their_token = ApiToken.issue(world.users["coordinator_b"], "theirs", "read")
    client = world.clients["organiser"]
    assert client.get(f"/api/tokens/{mine.pk}/revoke/").status_code == 405
    assert client.post(f"/api/tokens/{theirs.pk}/revoke/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert get("/api/me", their_token).status_code == 200
    assert "theirs" not in client.get("/api/tokens/").content.decode()

    response = client.post(f"/api/tokens/{mine.pk}/revoke/")
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None


def test_admin_shows_own_tokens_to_staff_and_all_to_superusers(world):
    token_for(world.users["organiser"], name="organiser's token")
    token_for(world.users["coordinator_b"], name="coordinator's token")
    url = reverse("admin:api_apitoken_changelist")

    organiser = world.clients["organiser"]  # staff, not superuser
    page = organiser.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "organiser&#x27;s token" in html and "coordinator&#x27;s token" not in html
    assert organiser.get(reverse("admin:api_apitoken_add")).status_code == 403

    root = get_user_model().objects.create_superuser("root", password="a-long-root-pw-1")
    client = Client()
    client.force_login(root)
    html = client.get(url).content.decode()
    assert "organiser&#x27;s token" in html and "coordinator&#x27;s token" in html

    rows = ApiToken.objects.values_list("pk", flat=True)
    response = client.post(
        url, {"action": "revoke_tokens", "_selected_action": list(rows)}, follow=True
    )
    assert response.status_code == 200
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()

    assert world.clients["coordinator_a"].get(url).status_code == 302  # not staff
