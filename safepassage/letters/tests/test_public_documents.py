"""Supporting documents marked public are listed on the campaign page and downloadable."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile

from safepassage.campaigns.models import Campaign
from safepassage.letters.models import SupportingDocument
from safepassage.lib.storage import private_storage

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = private_storage()
    for cached in ("base_location", "location"):
        storage.__dict__.pop(cached, None)
    monkeypatch.setattr(storage, "_location", str(tmp_path / "private"))
    cache.clear()


def document(campaign: Campaign, title: str, *, public: bool) -> SupportingDocument:
    doc = SupportingDocument(
        campaign=campaign,
        title=title,
        language="en",
        public=public,
        pages=2,
        sha256=hashlib.sha256(PDF).hexdigest(),
    )
    doc.file.save(f"{title}.pdf", ContentFile(PDF), save=False)
    doc.save()
    return doc


def test_public_documents_are_listed_and_served_private_ones_are_not(client: Any, petition: Any):
    campaign = petition.campaign
    flyer = document(campaign, "Flyer for the day", public=True)
    internal = document(campaign, "Internal briefing", public=False)

    page = client.get(f"/c/{campaign.slug}/").content.decode()
    assert "Flyer for the day" in page
    assert f"/c/{campaign.slug}/documents/{flyer.pk}/" in page
    assert "Internal briefing" not in page

    response = client.get(f"/c/{campaign.slug}/documents/{flyer.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF
    assert client.get(f"/c/{campaign.slug}/documents/{internal.pk}/").status_code == 404
    # Another campaign's address for the same document finds nothing.
    assert client.get(f"/c/another-campaign/documents/{flyer.pk}/").status_code == 404
    # The file itself is not under MEDIA_ROOT, so no web server serving media reaches it.
    assert not Path(flyer.file.path).is_relative_to(Path(settings.MEDIA_ROOT))


def test_documents_of_a_draft_campaign_are_not_served(client: Any, petition: Any):
    campaign = petition.campaign
    flyer = document(campaign, "Flyer", public=True)
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.DRAFT)
    assert client.get(f"/c/{campaign.slug}/documents/{flyer.pk}/").status_code == 404
