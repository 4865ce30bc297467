"""Who sees a delivery: organisers, and the coordinators whose scope covers it."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from safepassage.deliveries.tests.conftest import jpeg_with_gps


def urls(delivery):
    return [
        reverse("deliveries:detail", args=[delivery.pk]),
        reverse("deliveries:send", args=[delivery.pk]),
    ]


@pytest.mark.parametrize("who", ["organiser", "munich_coordinator"])
def test_the_organiser_and_the_city_coordinator_see_the_delivery(client, deliveries, who, request):
    client.force_login(request.getfixturevalue(who))
    for url in urls(deliveries["munich"]):
        assert client.get(url).status_code == 200, url


def test_a_coordinator_of_another_city_gets_404_everywhere(
    client, deliveries, seoul_coordinator, organiser
):
    delivery = deliveries["munich"]
    # Evidence exists, so its URL is real: still 404 for the wrong coordinator.
    client.force_login(organiser)
    client.post(
        reverse("deliveries:evidence", args=[delivery.pk]),
        {"kind": "photo", "file": SimpleUploadedFile("p.jpg", jpeg_with_gps())},
    )
    evidence = delivery.evidence.get()
    client.force_login(seoul_coordinator)
    gets = [
        *urls(delivery),
        reverse("deliveries:evidence-file", args=[delivery.pk, evidence.pk]),
        reverse("deliveries:packet", args=[delivery.pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("deliveries:detail", args=[delivery.pk]),
        reverse("deliveries:evidence", args=[delivery.pk]),
        reverse("deliveries:evidence-publish", args=[delivery.pk, evidence.pk]),
        reverse("deliveries:response", args=[delivery.pk]),
        reverse("deliveries:send", args=[delivery.pk]),
    ]
    for url in posts:
        assert client.post(url, {"status": "posted"}).status_code == 404, url
    # Their own delivery is there.
    assert (
        client.get(reverse("deliveries:detail", args=[deliveries["seoul"].pk])).status_code == 200
    )


def test_the_campaign_list_shows_only_the_scope(client, campaign, deliveries, seoul_coordinator):
    client.force_login(seoul_coordinator)
    page = client.get(reverse("deliveries:campaign", args=[campaign.slug]))
    shown = [d for _, items in page.context["groups"] for d in items]
    assert shown == [deliveries["seoul"]]
    assert "Munich" not in page.content.decode()


def test_the_organiser_list_filters_by_status(client, campaign, deliveries, organiser):
    client.force_login(organiser)
    url = reverse("deliveries:campaign", args=[campaign.slug])
    page = client.get(url)
    assert sum(len(items) for _, items in page.context["groups"]) == 3
    assert client.get(url + "?status=posted").context["groups"] == []
    assert client.get(reverse("deliveries:index")).context["campaigns"] == [campaign]


def test_someone_without_a_role_gets_404(client, campaign, deliveries, stranger):
    client.force_login(stranger)
    assert client.get(reverse("deliveries:campaign", args=[campaign.slug])).status_code == 404
    assert client.get(urls(deliveries["munich"])[0]).status_code == 404
    assert client.get(reverse("deliveries:index")).context["campaigns"] == []


def test_anonymous_visitors_are_sent_to_the_login_page(client, campaign, deliveries):
    delivery = deliveries["munich"]
    for url in [
        reverse("deliveries:index"),
        reverse("deliveries:campaign", args=[campaign.slug]),
        *urls(delivery),
        reverse("deliveries:evidence-file", args=[delivery.pk, 1]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/team/login/?next={quote(url)}"
    response = client.post(reverse("deliveries:detail", args=[delivery.pk]), {"status": "posted"})
    assert response.status_code == 302 and response["Location"].startswith("/team/login/")


def test_the_admin_follows_the_roles(client, deliveries, organiser, munich_coordinator, stranger):
    # Staff flags only let people into the admin; their roles decide what they see.
    for user in (organiser, munich_coordinator, stranger):
        user.is_staff = True
        user.save()
    changelist = reverse("admin:deliveries_delivery_changelist")
    client.force_login(organiser)
    assert len(client.get(changelist).context["cl"].queryset) == 3
    client.force_login(munich_coordinator)
    page = client.get(changelist)
    assert page.status_code == 200
    assert list(page.context["cl"].queryset) == [deliveries["munich"]]
    own = reverse("admin:deliveries_delivery_change", args=[deliveries["munich"].pk])
    assert client.get(own).status_code == 200
    other = reverse("admin:deliveries_delivery_change", args=[deliveries["seoul"].pk])
    assert client.get(other).status_code == 404  # out of scope: as if it did not exist
    client.force_login(stranger)
    assert client.get(changelist).status_code == 403
