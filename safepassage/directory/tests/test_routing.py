"""Routing each confirmed signature to the mission responsible for the signer's place."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from conftest import run_tasks
from personas import route_of
from safepassage.directory import bundled, tallies, transfer
from safepassage.directory.models import Mission
from safepassage.directory.routing import Router, Step, route_petition
from safepassage.reports.stats import refresh_stats
from safepassage.signatures.models import Signature

SOURCE = {"source_url": "https://example.org/list", "source_date": "2026-11-01"}


def mission(key, kind, host, city, lat, lon, **extra):
    return {
        "id": key,
        "name": f"{kind} in {city}",
        "kind": kind,
        "sending_state": "CN",
        "host_country": host,
        "city": city,
        "latitude": lat,
        "longitude": lon,
        **SOURCE,
        **extra,
    }


SMALL_DIRECTORY = [
    mission("e-us", "embassy", "US", "Washington", "38.94", "-77.07", district="US-DC|US-VA"),
    mission(
        "cg-chicago", "consulate_general", "US", "Chicago", "41.89", "-87.63", district="US-IL"
    ),
    mission(
        "cg-la", "consulate_general", "US", "Los Angeles", "34.06", "-118.30", district="US-CA"
    ),
    mission(
        "cg-sf", "consulate_general", "US", "San Francisco", "37.78", "-122.43", district="US-CA"
    ),
    mission(
        "cg-houston",
        "consulate_general",
        "US",
        "Houston",
        "29.73",
        "-95.39",
        status="closed",
        closed="2020-07-24",
        district="US-TX",
    ),
    mission("e-kr", "embassy", "KR", "Seoul", "37.57", "126.98"),
    mission("cg-busan", "consulate_general", "KR", "Busan", "35.16", "129.06"),
    mission("e-za", "embassy", "ZA", "Pretoria", "-25.75", "28.23", accreditation="LS"),
    mission("e-fr", "embassy", "FR", "Paris", "48.87", "2.30"),
    mission("pm-un", "permanent_mission", "CH", "Geneva", "46.22", "6.14"),
]


@pytest.fixture
def small_directory(db):
    report = transfer.import_rows(SMALL_DIRECTORY)
    assert report.rejected == [], list(report.lines())
    return {m.key: m.pk for m in Mission.objects.all()}


@pytest.mark.parametrize(
    ("country", "region", "city", "expected", "step", "placement"),
    [
        ("US", "US-IL", "Chicago", "cg-chicago", Step.DISTRICT, "city"),
        ("US", "US-IL", "Nowhereville", "cg-chicago", Step.DISTRICT, "region"),
        ("US", "US-DC", "Washington", "e-us", Step.DISTRICT, "city"),
        # California is split between two districts: the nearer of the two.
        ("US", "US-CA", "San Francisco", "cg-sf", Step.DISTRICT, "city"),
        ("US", "US-CA", "Los Angeles", "cg-la", Step.DISTRICT, "city"),
        # Texas belonged to the closed Houston post: nearest open mission in the country.
        ("US", "US-TX", "Houston", "cg-chicago", Step.IN_COUNTRY, "city"),
        ("KR", "KR-26", "Busan", "cg-busan", Step.IN_COUNTRY, "city"),
        ("KR", "", "서울", "e-kr", Step.IN_COUNTRY, "city"),
        ("KR", "", "Atlantis", "e-kr", Step.IN_COUNTRY, "country"),
        ("LS", "", "Maseru", "e-za", Step.ACCREDITED, "city"),
        ("BE", "", "Brussels", "e-fr", Step.NEAREST, "city"),
        ("DE", "DE-BY", "München", "e-fr", Step.NEAREST, "city"),
    ],
)
def test_the_routing_rule(small_directory, country, region, city, expected, step, placement):
    route = Router("CN").route(country, region, city)
    assert (route.mission_id, route.step, route.placement) == (
        small_directory[expected],
        step,
        placement,
    )


def test_nothing_to_route_to_is_reported_not_dropped(db):
    route = Router("CN").route("KR", "", "Seoul")
    assert (route.mission_id, route.placement, route.step) == (None, "none", Step.NONE)


def confirmed(petition, n: int = 0, **fields) -> Signature:
    values = {
        "first_name": "A",
        "last_name": "B",
        "city": "Chicago",
        "region": "US-IL",
        "country": "US",
        "publish_name": True,
        "contact": "count",
        "email_hash": f"{n:064d}",
        "consent_version": "1",
        "consent_hash": "x",
        "status": Signature.Status.CONFIRMED,
        "confirmed_at": timezone.now(),
        **fields,
    }
    return Signature.objects.create(petition=petition, **values)


def test_route_petition_routes_confirmed_only_and_is_idempotent(small_directory, petition):
    chicago = confirmed(petition, 1)
    seoul = confirmed(petition, 2, city="서울", region="KR-11", country="KR")
    pending = confirmed(petition, 3, status="pending", confirmed_at=None)
    report = route_petition(petition)
    assert (report.routed, report.changed) == (2, 2)
    assert route_of(chicago) == (small_directory["cg-chicago"], "city")
    assert route_of(seoul)[0] == small_directory["e-kr"]
    assert route_of(pending) == (None, "")
    assert route_petition(petition).routed == 0
    again = route_petition(petition, everything=True)
    assert (again.routed, again.changed) == (2, 0)


def test_closing_a_mission_sends_its_signers_back_to_routing(small_directory, petition):
    seoul = confirmed(petition, 1, city="Seoul", region="KR-11", country="KR")
    route_petition(petition)
    assert route_of(seoul)[0] == small_directory["e-kr"]
    embassy = Mission.objects.get(key="e-kr")
    embassy.status, embassy.closed = Mission.Status.CLOSED, "2026-11-23"
    embassy.save()
    assert route_of(seoul) == (None, "")
    route_petition(petition)
    assert route_of(seoul)[0] == small_directory["cg-busan"]


def test_counts_by_country_and_mission(small_directory, petition):
    for n in range(3):
        confirmed(petition, n)
    confirmed(petition, 10, city="Busan", region="KR-26", country="KR")
    confirmed(petition, 11, city="Busan", region="KR-26", country="KR", review_reason="throttled")
    route_petition(petition)
    stats = refresh_stats(petition.campaign)
    assert stats.by_country == {"US": 3, "KR": 1}
    assert stats.by_mission == {
        str(small_directory["cg-chicago"]): 3,
        str(small_directory["cg-busan"]): 1,
    }


def test_could_not_place_report(small_directory, petition):
    confirmed(petition, 1, city="Springfield", region="US-IL")
    confirmed(petition, 2, city="Qwzxv", region="US-IL")
    confirmed(petition, 3, city="Qwzxv", region="", country="LS")
    route_petition(petition)
    report = tallies.placement_report(petition.campaign)
    assert report.by_placement == {"city": 1, "region": 1, "country": 1}
    assert report.not_at_city == 2
    assert ("US", "US-IL", "Qwzxv", 1) in report.unknown_places


@pytest.mark.django_db(transaction=True)
def test_confirming_queues_routing_and_the_worker_routes(small_directory, petition):
    from safepassage.signatures import services

    signature = confirmed(petition, 1, status="pending", confirmed_at=None)
    assert services.confirm(signature)
    run_tasks()
    assert route_of(signature)[0] == small_directory["cg-chicago"]


def test_the_reroute_command(small_directory, petition):
    confirmed(petition, 1)
    out = io.StringIO()
    call_command("route_signatures", "--campaign", petition.campaign.slug, stdout=out)
    assert "1 routed, 1 changed" in out.getvalue()
    out = io.StringIO()
    call_command("route_signatures", "--all", stdout=out)
    assert "1 routed, 0 changed" in out.getvalue()


# --- The bundled PRC directory: the seed campaign's cities ----------------------


@pytest.fixture(scope="class")
def prc_directory(django_db_setup, django_db_blocker):
    """The bundled directory, imported once for a class's tests (an import takes a second).

    It stays in a transaction around theirs, rolled back after the last of them; each
    test's own changes are rolled back to a savepoint as usual. The tests that use it
    are in a class, so that the transaction is over before this module's
    transactional test runs.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        for report in bundled.import_prc():
            assert report.rejected == [], list(report.lines())
        yield
        transaction.set_rollback(True)


@pytest.fixture
def prc(prc_directory, db):
    return Router("CN")


def routed_city(router: Router, country: str, region: str, city: str) -> Mission:
    route = router.route(country, region, city)
    assert route.mission_id, (country, region, city, route)
    return Mission.objects.get(pk=route.mission_id)


# Where the seed campaign's cities (and a few hard cases) are routed: the kind
# and city of the responsible post, and the rule that decided.
SEED_CITIES = [
    ("US", "US-DC", "Washington", ("embassy", "Washington, D.C."), Step.DISTRICT),
    ("US", "US-IL", "Chicago", ("consulate_general", "Chicago"), Step.DISTRICT),
    # Houston's consulate-general closed in 2020; the embassy took its district.
    ("US", "US-TX", "Houston", ("embassy", "Washington, D.C."), Step.DISTRICT),
    ("US", "US-CA", "Los Angeles", ("consulate_general", "Los Angeles"), Step.DISTRICT),
    ("US", "US-CA", "San Francisco", ("consulate_general", "San Francisco"), Step.DISTRICT),
    ("KR", "KR-11", "Seoul", ("embassy", "Seoul"), Step.DISTRICT),
    ("KR", "KR-26", "Busan", ("consulate_general", "Busan"), Step.DISTRICT),
    ("JP", "JP-13", "Tokyo", ("embassy", "Tokyo"), Step.DISTRICT),
    ("DE", "DE-BE", "Berlin", ("embassy", "Berlin"), Step.DISTRICT),
    ("GB", "GB-ENG", "London", ("embassy", "London"), Step.DISTRICT),
    ("GB", "GB-ENG", "Manchester", ("consulate_general", "Manchester"), Step.DISTRICT),
    ("NL", "NL-ZH", "The Hague", ("embassy", "The Hague"), Step.IN_COUNTRY),
    ("CA", "CA-ON", "Toronto", ("consulate_general", "Toronto"), Step.DISTRICT),
    # Ontario is Toronto's district except the Ottawa region, the embassy's.
    ("CA", "CA-ON", "Ottawa", ("embassy", "Ottawa"), Step.DISTRICT),
    ("CA", "CA-ON", "Waterloo", ("consulate_general", "Toronto"), Step.DISTRICT),
    # Tijuana serves the four northern states; the embassy the rest of Mexico.
    ("MX", "MX-CMX", "Mexico City", ("embassy", "Mexico City"), Step.DISTRICT),
    ("MX", "MX-BCN", "Tijuana", ("consulate_general", "Tijuana"), Step.DISTRICT),
    ("CL", "CL-RM", "Santiago", ("embassy", "Santiago"), Step.IN_COUNTRY),
    ("AR", "AR-C", "Buenos Aires", ("embassy", "Buenos Aires"), Step.IN_COUNTRY),
    # Puerto Rico has a country code of its own and is also US-PR.
    ("PR", "", "San Juan", ("embassy", "Washington, D.C."), Step.DISTRICT),
    # Native scripts and other spellings.
    ("KR", "", "서울", ("embassy", "Seoul"), Step.DISTRICT),
    ("JP", "", "東京", ("embassy", "Tokyo"), Step.DISTRICT),
    ("DE", "", "München", ("consulate_general", "Munich"), Step.DISTRICT),
    ("KR", "", "부산", ("consulate_general", "Busan"), Step.DISTRICT),
]


class TestTheBundledDirectory:
    """Where the seed campaign's cities go, on the directory the project ships."""

    @pytest.mark.parametrize(("country", "region", "city", "expected", "step"), SEED_CITIES)
    def test_seed_cities_reach_the_responsible_post(
        self, prc, country, region, city, expected, step
    ):
        route = prc.route(country, region, city)
        found = Mission.objects.get(pk=route.mission_id)
        assert (found.kind, found.city) == expected, found
        assert route.step == step
        assert route.placement == "city"

    def test_rio_de_janeiro_and_maraba(self, prc):
        rio = routed_city(prc, "BR", "BR-RJ", "Rio de Janeiro")
        assert rio.host_country == "BR" and rio.city == "Rio de Janeiro"
        maraba = prc.route("BR", "BR-PA", "Marabá")
        assert maraba.placement == "city"  # found despite the accent, in Pará
        assert Mission.objects.get(pk=maraba.mission_id).host_country == "BR"

    def test_a_signer_in_a_country_without_a_prc_mission(self, prc):
        # Eswatini recognises Taipei; Tuvalu too. Neither has a PRC post.
        for country, city in (("SZ", "Mbabane"), ("TV", "Funafuti")):
            route = prc.route(country, "", city)
            assert route.step in (Step.ACCREDITED, Step.NEAREST)
            assert Mission.objects.get(pk=route.mission_id).host_country != country

    def test_a_signer_in_china_goes_to_the_nearest_post_abroad(self, prc):
        route = prc.route("CN", "", "北京")
        assert route.step == Step.NEAREST
        assert Mission.objects.get(pk=route.mission_id).host_country != "CN"

    def test_a_closed_mission_is_never_chosen(self, prc):
        houston = Mission.objects.get(city="Houston")
        assert houston.status == Mission.Status.CLOSED and houston.closed == "2020-07-24"
        for city, region in (("Houston", "US-TX"), ("Dallas", "US-TX"), ("New Orleans", "US-LA")):
            assert prc.route("US", region, city).mission_id != houston.pk
