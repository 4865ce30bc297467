"""Paper lists as signatures: who collected them, count-only rows, duplicates, partner totals."""

from __future__ import annotations

import re
import time
from typing import Any
from unittest import mock

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from personas import route_of
from safepassage.accounts import security
from safepassage.accounts.tests.world import World
from safepassage.exports.tests.conftest import make_signature
from safepassage.exports.tests.test_import import map_url
from safepassage.reports import report as reports
from safepassage.reports.stats import refresh_stats
from safepassage.signatures import services
from safepassage.signatures.models import Erasure, PaperDuplicate, PaperTally, Signature
from safepassage.signatures.paper import fold, person_key

PAPER_HEADER = "First name;Last name;City;State;Country;Collected by;Sheet;Count only\n"
PAPER_MAPPING = {
    "first_name": "0",
    "last_name": "1",
    "city": "2",
    "region": "3",
    "country": "4",
    "collected_by": "5",
    "sheet": "6",
    "count_only": "7",
}


def import_paper(world: World, text: str, **form: str) -> str:
    """Upload, map and import a paper list as the organiser; the report page."""
    address = map_url(world, text)
    data = {**PAPER_MAPPING, "source": "paper: day of action 2026", "kind": "paper"}
    data |= {"declaration": "on", "action": "import", **form}
    with mock.patch("safepassage.exports.importer.schedule_routing"):
        response = world.clients["organiser"].post(address, data)
    assert response.status_code == 200, response.content.decode()[:500]
    return str(response.content.decode())


def reauthenticated(world: World, seconds_ago: int = 0) -> None:
    session = world.clients["organiser"].session
    session[security.REAUTH_AT] = time.time() - seconds_ago
    session.save()


def test_normalised_names_ignore_case_accents_width_and_spaces() -> None:
    assert fold("  José   NÚÑEZ ") == "jose nunez"
    assert fold("Straße") == "strasse"
    assert fold("\uff2b\uff49\uff4d") == "kim"  # full-width letters (NFKC)
    # Marks on letters of other scripts are part of the name.
    assert fold("がっこう") == "がっこう" and fold("김민준") == "김민준"
    same = person_key("zoe", "bronte", " berlin", "DE")
    assert person_key("Zoë", "Brontë", "Berlin", "de") == same
    assert person_key("Zoë", "Brontë", "Berlin", "DE") != person_key("Zoë", "Brontë", "Bonn", "DE")


@pytest.mark.django_db
def test_paper_rows_keep_who_collected_them_their_sheet_and_count_only(world: World) -> None:
    text = (
        PAPER_HEADER
        + "Anna;Schmidt;Berlin;Berlin;DE;NK Freedom Berlin;A-1;\n"
        + "Bo;Lee;Seoul;서울;KR;;A-2;yes\n"
        + "Carla;Costa;Washington;DC;US;Washington vigil team;B-1;no\n"
    )
    page = import_paper(world, text, partner="Korea Partners")
    assert "3 signatures imported" in page
    assert "3 paper signatures (1 only counted, not named)" in page
    anna, bo, carla = (Signature.objects.get(first_name=n) for n in ("Anna", "Bo", "Carla"))
    assert all(s.channel == Signature.Channel.PAPER for s in (anna, bo, carla))
    assert (anna.collected_by, anna.sheet, anna.publish_name) == ("NK Freedom Berlin", "A-1", True)
    # An empty cell: the file's partner; "count only: yes": counted, never named.
    assert (bo.collected_by, bo.sheet, bo.publish_name) == ("Korea Partners", "A-2", False)
    assert (carla.collected_by, carla.publish_name) == ("Washington vigil team", True)
    assert carla.region == "US-DC" and route_of(carla) == (None, "")  # routed like online ones


@pytest.mark.django_db
def test_the_file_can_make_its_rows_count_only_and_a_row_can_contradict_itself(
    world: World,
) -> None:
    text = (
        "First;Last;City;State;Country;Name may be handed over;Count only\n"
        "Dora;Diaz;Boston;MA;US;;\n"
        "Emil;Ernst;Boston;MA;US;yes;\n"
        "Fay;Fox;Boston;MA;US;yes;yes\n"
    )
    mapping = {"publish_name": "5", "count_only": "6", "collected_by": "", "sheet": ""}
    page = import_paper(world, text, file_count_only="on", **mapping)
    assert "2 signatures imported" in page
    assert re.search(r"<td>4</td><td>rejected</td><td>[^<]*both that the name may", page)
    assert Signature.objects.get(first_name="Dora").publish_name is False
    assert Signature.objects.get(first_name="Emil").publish_name is True
    # Neither a column nor a partner: the source names who collected them.
    assert Signature.objects.get(first_name="Dora").collected_by == "paper: day of action 2026"


@pytest.mark.django_db
def test_rows_of_an_online_list_need_an_address_and_are_no_paper_signatures(
    world: World,
) -> None:
    text = "First;Last;City;State;Country;Mail\nGus;Gray;Boston;MA;US;gus@example.org\n"
    text += "Hal;Hill;Boston;MA;US;\n"
    mapping = {"email": "5", "collected_by": "", "sheet": "", "count_only": ""}
    page = import_paper(world, text, kind="online", **mapping)
    assert "1 signature imported" in page
    assert "no e-mail address: rows of an online list need one" in page
    gus = Signature.objects.get()
    assert gus.channel == Signature.Channel.IMPORT and gus.collected_by == "" and gus.sheet == ""


@pytest.mark.django_db
def test_duplicates_by_name_and_place_are_flagged_within_and_across_files_never_merged(
    world: World,
) -> None:
    first = (
        PAPER_HEADER
        + "José;Núñez;Madrid;Madrid;ES;Amigos de Corea;1;\n"
        + "jose;NUNEZ;  madrid;Madrid;ES;Amigos de Corea;4;\n"
        + "José;Núñez;Sevilla;Andalucía;ES;Amigos de Corea;4;\n"
        + "민준;김;서울;서울;KR;Seoul students;1;\n"
    )
    page = import_paper(world, first)
    assert "4 signatures imported" in page
    assert "1 possible duplicate (same name and place) flagged for your decision" in page
    assert re.search(r"<td>3</td><td>flagged</td><td>same name and place as line 2", page)
    second = PAPER_HEADER + "Min-jun;Kim;Seoul;KR-11;KR;Seoul students;9;\n"
    second += "민준;김;서울;KR-11;KR;Seoul students;9;\n"
    page = import_paper(world, second)
    assert "2 signatures imported" in page
    assert re.search(
        r"<td>3</td><td>flagged</td><td>same name and place as a paper signature imported "
        r"before \(sheet 1, collected by Seoul students\)",
        page,
    )
    # Flagged, not merged: all six are counted until an organiser decides.
    assert Signature.objects.counted().count() == 6
    pairs = list(PaperDuplicate.objects.order_by("pk"))
    madrid = Signature.objects.filter(city__icontains="madrid").order_by("pk")
    kim = Signature.objects.filter(first_name="민준").order_by("pk")
    assert [(p.first_id, p.second_id) for p in pairs] == [
        tuple(madrid.values_list("pk", flat=True)),
        tuple(kim.values_list("pk", flat=True)),
    ]

    client = world.clients["organiser"]
    address = reverse("exports:duplicates", args=[world.campaign.slug])
    listing = client.get(address).content.decode()
    assert "2 pairs to decide" in listing and "sheet 4" in listing and "Seoul students" in listing
    index = client.get(reverse("exports:index", args=[world.campaign.slug])).content.decode()
    assert "2 possible paper duplicates wait for your decision" in index
    for role in ("coordinator_a", "partner", "outsider"):
        assert world.clients[role].get(address).status_code == 404
        world.clients[role].post(address, {"pair": pairs[0].pk, "action": "drop_first"})
    assert PaperDuplicate.objects.count() == 2 and Signature.objects.count() == 6

    # Keeping both records the decision; the pair leaves the list.
    client.post(address, {"pair": pairs[0].pk, "action": "keep"})
    kept = PaperDuplicate.objects.get(pk=pairs[0].pk)
    assert kept.decision == "keep" and kept.decided_by == world.users["organiser"]
    assert "1 pair to decide" in client.get(address).content.decode()

    # Dropping erases, and asks for the password and second factor first.
    reauthenticated(world, seconds_ago=3600)
    response = client.post(address, {"pair": pairs[1].pk, "action": "drop_second"})
    assert response.status_code == 302 and "reauth" in response["Location"]
    assert Signature.objects.count() == 6
    reauthenticated(world)
    dropped = pairs[1].second
    client.post(address, {"pair": pairs[1].pk, "action": "drop_second"})
    assert not Signature.objects.filter(pk=dropped.pk).exists()
    assert Erasure.objects.get(email_hash=dropped.email_hash).reason == "organiser"
    assert not PaperDuplicate.objects.filter(pk=pairs[1].pk).exists()
    assert Signature.objects.counted().count() == 5
    assert "No possible duplicates wait" in client.get(address).content.decode()


@pytest.mark.django_db
def test_a_paper_row_with_the_address_of_an_online_signer_is_a_duplicate(world: World) -> None:
    Signature.objects.bulk_create(
        [make_signature(world.petition, first_name="Online", email_hash=_hash("ina@example.org"))]
    )
    text = "First;Last;City;State;Country;Mail\nIna;Ito;Boston;MA;US;INA@example.org\n"
    mapping = {"email": "5", "collected_by": "", "sheet": "", "count_only": ""}
    page = import_paper(world, text, **mapping)
    assert "already signed this petition" in page and "0 signatures imported" in page
    assert not Signature.objects.filter(first_name="Ina").exists()


def _hash(address: str) -> str:
    return services.hash_email(address)


@pytest.mark.django_db
def test_an_erased_paper_signature_stays_erased_after_a_restore(world: World) -> None:
    import_paper(world, PAPER_HEADER + "Jon;Jay;Boston;MA;US;Boston team;2;\n")
    jon = Signature.objects.get()
    services.erase(jon, reason=Erasure.Reason.ORGANISER)
    tombstone = Erasure.objects.get()
    # A backup from before the erasure brings the row back; the replay removes it again.
    jon.pk = None
    jon.save(force_insert=True)
    removed = services.replay_erasures(
        [(tombstone.petition_id, tombstone.email_hash, tombstone.erased_at, tombstone.reason)]
    )
    assert removed == 1 and not Signature.objects.exists()


@pytest.mark.django_db
def test_the_database_refuses_paper_rows_without_a_collector_and_online_rows_with_one(
    world: World,
) -> None:
    refused: list[dict[str, Any]] = [
        {"channel": "paper", "source": "paper", "collected_by": ""},
        {"channel": "online", "source": "", "collected_by": "Someone"},
        {"channel": "online", "source": "", "sheet": "3"},
        {"channel": "online", "source": "paper: vigil"},
        {"channel": "import", "source": ""},
        {"channel": "paper", "source": "x", "collected_by": "y", "status": "pending"},
        {"channel": "letter", "source": "x"},
    ]
    for fields in refused:
        if fields.get("status") == "pending":
            fields["confirmed_at"] = None
        with pytest.raises(IntegrityError), transaction.atomic():
            make_signature(world.petition, **fields).save()


@pytest.mark.django_db
def test_partner_totals_add_up_to_the_paper_total_in_the_statistics_and_the_report(
    world: World,
) -> None:
    import_paper(
        world,
        PAPER_HEADER
        + "Kai;Kahn;Boston;MA;US;Boston team;1;\n"
        + "Lea;Lund;Boston;MA;US;Boston team;1;yes\n"
        + "Mo;Marr;Seoul;KR-11;KR;Seoul students;1;\n",
    )
    import_paper(world, PAPER_HEADER + "Ned;Nash;Paris;;FR;;7;\n", partner="Boston team")
    # Legacy counts without names, from before, count under their source.
    PaperTally.objects.create(petition=world.petition, source="Clipboard", country="US", count=12)
    Signature.objects.bulk_create([make_signature(world.petition, first_name="Online")])
    stats = refresh_stats(world.campaign)
    assert stats.by_collector == {"Boston team": 3, "Clipboard": 12, "Seoul students": 1}
    assert stats.on_paper == 4 and stats.paper == 12
    assert sum(stats.by_collector.values()) == stats.paper_total == 16
    # Paper signatures with names are counted signatures; the tallies stay apart.
    assert stats.total == 5 and stats.grand_total == 17

    data = reports.build_data(world.campaign, refresh=True)
    assert data["totals"]["paper"] == 16 and data["totals"]["paper_apart"] == 12
    assert data["by_collector"] == [["Clipboard", 12], ["Boston team", 3], ["Seoul students", 1]]
    assert sum(n for _name, n in data["by_collector"]) == data["totals"]["paper"]
    page = world.clients["organiser"].get(reverse("reports:report", args=[world.campaign.slug]))
    html = page.content.decode()
    table = html.split('id="paper-by-collector"', 1)[1].split("</table>", 1)[0]
    assert re.search(r"Boston team</th><td class=\"num\">3<", table)
    assert re.search(r"All paper signatures</th><td class=\"num\">16<", table)

    index = world.clients["organiser"].get(reverse("exports:index", args=[world.campaign.slug]))
    listed = index.content.decode().split('id="paper-by-collector"', 1)[1].split("</table>")[0]
    assert re.search(r"Seoul students</th><td class=\"num\">1<", listed)
    assert 'id="paper-total">16<' in listed
