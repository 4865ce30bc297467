"""The finder on the bundled directory: free text, regions, countries and postcodes.

Each place, typed as people type it (in its own script too), must reach the post
responsible for it: the 20 cities of the seed campaign and more from every
continent. "Waterloo, Ontario" once went to Calgary.
"""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from safepassage.directory.models import Mission
from safepassage.directory.routing import find_for_text
from safepassage.directory.tests.test_routing import prc, prc_directory  # noqa: F401 (fixtures)

EMBASSY, CONSULATE = "embassy", "consulate_general"

# (text typed, country chosen in the list or "", (kind, city) of the responsible post)
SEED_CITIES = [
    ("Washington, DC", "US", (EMBASSY, "Washington, D.C.")),
    ("Chicago, IL 60610", "US", (CONSULATE, "Chicago")),
    # Houston's consulate-general closed in 2020; the embassy took its district.
    ("Houston, Texas", "US", (EMBASSY, "Washington, D.C.")),
    ("Los Angeles, CA", "US", (CONSULATE, "Los Angeles")),
    ("San Francisco, California", "US", (CONSULATE, "San Francisco")),
    ("Seoul", "KR", (EMBASSY, "Seoul")),
    ("Busan", "KR", (CONSULATE, "Busan")),
    ("Tokyo", "JP", (EMBASSY, "Tokyo")),
    ("Berlin", "DE", (EMBASSY, "Berlin")),
    ("London, United Kingdom", "", (EMBASSY, "London")),
    ("The Hague, Netherlands", "", (EMBASSY, "The Hague")),
    ("Toronto, ON", "CA", (CONSULATE, "Toronto")),
    ("Ottawa, Ontario", "CA", (EMBASSY, "Ottawa")),
    ("Mexico City", "MX", (EMBASSY, "Mexico City")),
    ("Rio de Janeiro, RJ", "BR", (CONSULATE, "Rio de Janeiro")),
    ("Santiago, Chile", "", (EMBASSY, "Santiago")),
    ("Buenos Aires, Argentina", "", (EMBASSY, "Buenos Aires")),
    ("San Juan, Puerto Rico", "", (EMBASSY, "Washington, D.C.")),
    ("Waterloo, Ontario", "CA", (CONSULATE, "Toronto")),
    ("Marabá, Pará", "BR", (EMBASSY, "Brasília")),
]

WORLD = [
    # Asia
    ("서울", "KR", (EMBASSY, "Seoul")),
    ("부산광역시", "KR", (CONSULATE, "Busan")),
    ("東京", "JP", (EMBASSY, "Tokyo")),
    ("大阪市", "JP", (CONSULATE, "Osaka")),
    ("札幌", "JP", (CONSULATE, "Sapporo")),
    ("Москва", "RU", (EMBASSY, "Moscow")),
    ("Санкт-Петербург", "RU", (CONSULATE, "Saint Petersburg")),
    ("Владивосток", "RU", (CONSULATE, "Vladivostok")),
    ("मुंबई", "IN", (CONSULATE, "Mumbai")),
    ("Kolkata, West Bengal", "IN", (CONSULATE, "Kolkata")),
    ("กรุงเทพมหานคร", "TH", (EMBASSY, "Bangkok")),
    ("เชียงใหม่", "TH", (CONSULATE, "Chiang Mai")),
    ("Thành phố Hồ Chí Minh", "VN", (CONSULATE, "Ho Chi Minh City")),
    ("Улаанбаатар", "MN", (EMBASSY, "Ulaanbaatar")),
    ("تهران", "IR", (EMBASSY, "Tehran")),
    ("دبي", "AE", (CONSULATE, "Dubai")),
    ("İstanbul", "TR", (CONSULATE, "Istanbul")),
    ("Almaty", "KZ", (CONSULATE, "Almaty")),
    # Africa
    ("القاهرة", "EG", (EMBASSY, "Cairo")),
    ("الإسكندرية", "EG", (CONSULATE, "Alexandria")),
    ("Lagos", "NG", (CONSULATE, "Lagos")),
    ("Johannesburg, Gauteng", "ZA", (CONSULATE, "Johannesburg")),
    ("Nairobi, Kenya", "", (EMBASSY, "Nairobi")),
    # Europe
    ("Paris, France", "", (EMBASSY, "Paris")),
    ("München", "DE", (CONSULATE, "Munich")),
    ("Edinburgh, Scotland", "GB", (CONSULATE, "Edinburgh")),
    ("Milano", "IT", (CONSULATE, "Milan")),
    ("Zürich", "CH", (CONSULATE, "Zurich")),
    ("Αθήνα", "GR", (EMBASSY, "Athens")),
    ("Київ", "UA", (EMBASSY, "Kyiv")),
    # Oceania
    ("Sydney NSW 2000", "AU", (CONSULATE, "Sydney")),
    ("Auckland, New Zealand", "", (CONSULATE, "Auckland")),
    # The Americas
    ("Vancouver, BC", "CA", (CONSULATE, "Vancouver")),
    ("Montréal, Québec", "CA", (CONSULATE, "Montreal")),
    ("New York, NY 10001", "US", (CONSULATE, "New York")),
    ("São Paulo, SP", "BR", (CONSULATE, "São Paulo")),
    ("Lima, Perú", "", (EMBASSY, "Lima")),
]

POSTCODES = [
    ("60610", "US", (CONSULATE, "Chicago")),
    ("77002", "US", (EMBASSY, "Washington, D.C.")),  # Houston: Texas, the embassy's district
    ("90012", "US", (CONSULATE, "Los Angeles")),
    ("N2L 3G1", "CA", (CONSULATE, "Toronto")),  # Waterloo
    ("V6B 1A1", "CA", (CONSULATE, "Vancouver")),
    ("10117 Berlin", "DE", (EMBASSY, "Berlin")),
    ("100-0001", "JP", (EMBASSY, "Tokyo")),
    ("EH1 1YZ", "GB", (CONSULATE, "Edinburgh")),
]

# Region names as people write them, and what they used to do.
REGIONS = [
    ("Waterloo, ON", "CA", (CONSULATE, "Toronto")),
    ("Waterloo ON", "CA", (CONSULATE, "Toronto")),
    ("Waterloo", "CA", (CONSULATE, "Toronto")),
    ("Waterloo, Canada", "", (CONSULATE, "Toronto")),
    ("Waterloo, Canada", "US", (CONSULATE, "Toronto")),  # the typed country wins
    ("Pune, Maharashtra", "IN", (CONSULATE, "Mumbai")),
    ("Chicago, Illinois, USA", "", (CONSULATE, "Chicago")),
    ("서울", "DE", (EMBASSY, "Seoul")),  # a city of another country with missions
]


class TestTheFinderOnTheBundledDirectory:
    @pytest.mark.parametrize(("text", "country", "expected"), SEED_CITIES + WORLD + REGIONS)
    def test_a_place_reaches_its_mission(self, prc, text, country, expected):  # noqa: F811
        finding = find_for_text(prc, text, country)
        assert finding is not None and finding.route.mission_id, (text, finding)
        found = Mission.objects.get(pk=finding.route.mission_id)
        assert (found.kind, found.city) == expected, (text, finding)
        assert finding.found
        assert finding.route.placement == "city", finding

    @pytest.mark.parametrize(("text", "country", "expected"), POSTCODES)
    def test_a_postcode_reaches_its_mission(self, prc, text, country, expected):  # noqa: F811
        finding = find_for_text(prc, text, country)
        assert finding is not None and finding.query.postcode is not None, (text, finding)
        assert finding.route.mission_id is not None
        found = Mission.objects.get(pk=finding.route.mission_id)
        assert (found.kind, found.city) == expected, (text, finding)

    def test_without_any_country_there_is_no_answer(self, prc):  # noqa: F811
        assert find_for_text(prc, "Springfield", "") is None

    def test_the_finder_page_routes_waterloo_ontario_to_toronto(self, client, prc):  # noqa: F811
        for text in ("Waterloo, Ontario", "Waterloo, ON", "N2L 3G1"):
            response = client.get(
                reverse("directory:find", args=["CN"]), {"city": text, "country": "CA"}
            )
            page = html.unescape(response.content.decode())
            assert "Consulate-General of the People's Republic of China in Toronto" in page, text
            assert "Calgary" not in page
            assert "We did not find your city" not in page
        assert "We placed you by your postcode." in page
        assert "Ontario, Canada" in page  # what the finder read

    def test_the_country_may_be_typed_instead_of_chosen(self, client, prc):  # noqa: F811
        response = client.get(
            reverse("directory:find", args=["CN"]), {"city": "서울, 대한민국", "country": ""}
        )
        page = html.unescape(response.content.decode())
        assert "Embassy of the People's Republic of China in Seoul" in page
        assert "서울, South Korea" in page  # what the finder read
        response = client.get(reverse("directory:find", args=["CN"]), {"city": "Springfield"})
        assert "Please choose your country." in response.content.decode()

    def test_a_postcode_is_printed_once(self, client, prc):  # noqa: F811
        chicago = Mission.objects.get(host_country="US", city="Chicago")
        assert chicago.postcode == "60610" and "IL 60610" in chicago.postal_address
        assert chicago.address_block().count("60610") == 1
        response = client.get(
            reverse("directory:find", args=["CN"]), {"city": "60610", "country": "US"}
        )
        page = response.content.decode()
        address = page.split("<address>")[1].split("</address>")[0]
        assert address.count("60610") == 1, address
        block = page.split('<pre class="address-block">')[1].split("</pre>")[0]
        assert block.count("60610") == 1, block
        listing = client.get(reverse("directory:missions", args=["CN"])).content.decode()
        at = listing.index(f'id="mission-{chicago.pk}"')
        address = listing[at:].split("<address>")[1].split("</address>")[0]
        assert address == "100 West Erie Street, Chicago, IL 60610"
