"""Packets read back: who is listed, who is only counted, what is never printed."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from safepassage.packets import archive, services, snapshot
from safepassage.packets.models import Packet, PacketBuild
from safepassage.packets.tests.conftest import ATTACHMENT_TEXT, Signers, pdf_text, sign

pytestmark = pytest.mark.django_db


def run_all(build: PacketBuild) -> None:
    """Run the build's packets in-process, as a worker would (in any order)."""
    for packet_id in build.packets.order_by("-pk").values_list("pk", flat=True):
        services.build_one(packet_id)
    build.refresh_from_db()


def start(petition: Any, scope: str = "mission", user: Any = None) -> PacketBuild:
    return services.start_build(petition.campaign, petition, scope=scope, user=user)


def packet_bytes(build: PacketBuild, key: str) -> bytes:
    packet = build.packets.get(mission__key=key)
    assert packet.status == Packet.Status.DONE, packet.error
    with packet.file.open("rb") as handle:
        data: bytes = handle.read()
    assert hashlib.sha256(data).hexdigest() == packet.sha256
    return data


def list_section(text: str) -> str:
    """The text from the signer list's title to its totals (excludes the cover letter)."""
    start = text.index("Signatures handed to")
    end = text.index("Total of the petition")
    return text[start:end]


def squash(text: str) -> str:
    return "".join(text.split())


def test_it_builds_one_packet_per_open_mission_of_the_target_government(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    keys = set(build.packets.values_list("mission__key", flat=True))
    assert keys == {"cn-e-de", "cn-cg-munich", "cn-e-kr", "cn-e-jp", "cn-e-is"}
    assert build.total == 5
    assert list(build.letter_versions.all()) == [letter.approved_version]


def test_mission_packet_lists_its_named_counted_signers_once_and_nobody_else(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    data = packet_bytes(build, "cn-e-de")
    text = pdf_text(data)
    listed = list_section(text)
    s = signers.named
    for name in ("anna", "jonas"):
        assert listed.count(s[name].last_name) == 1
        assert s[name].first_name in listed
    assert "Potsdam" in listed and "Brandenburg" in listed  # DE-BB shown by name
    absent = ("hidden", "withheld", "held", "pending", "munich", "seoul", "tokyo", "unrouted")
    for name in absent:
        assert s[name].last_name not in text, name
        assert s[name].first_name not in text, name
    for place in ("Quedlinburgstadt", "Nordgau", "Wolkenheimstadt", "Südmark"):
        assert place not in text
    assert "Signers named: 2" in text
    assert "and 1 further signer who asked not to be named" in text
    assert "and 1 further signature whose name was withheld" in text
    assert "Total for this mission: 4" in text
    # Counted: 2+1+1 Berlin, Munich, Seoul, two Tokyo, the unrouted one.
    assert "Total of the petition: 9" in text
    packet = build.packets.get(mission__key="cn-e-de")
    assert (packet.named_count, packet.unnamed_count, packet.withheld_count) == (2, 1, 1)
    assert packet.total_count == 4
    # The cover letter comes first, addressed to this mission, then the list, then the attachment.
    assert "We write to Embassy of China in Berlin in Berlin." in squash_spaces(text)
    assert text.index("We write to") < text.index("Signatures handed to")
    assert text.index("Signatures handed to") < text.index(ATTACHMENT_TEXT)
    assert packet.pages == len(PdfReader(io.BytesIO(data)).pages)


def test_a_mission_list_is_counted_and_read_in_one_query_that_returns_no_hidden_name(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition)
    with CaptureQueriesContext(connection) as queries:
        counts, rows = snapshot.listing(
            snapshot.mission_signatures(build, missions["berlin"]), "en"
        )
    assert (counts.named, counts.unnamed, counts.withheld) == (2, 1, 1)
    assert [row.name for row in rows] == ["Jonas Albrecht", "Annegret Zimmerfeld"]
    assert [row.number for row in rows] == [1, 2]
    reads = [q["sql"] for q in queries.captured_queries if "signatures_signature" in q["sql"]]
    assert len(reads) == 1
    for column in ("email_hash", "email_encrypted", "ip_hash"):
        assert column not in reads[0]
    # What the query itself returns: the hidden and withheld signers' name,
    # city and region never leave the database.
    select = re.sub(r"^DECLARE .*? CURSOR .*?FOR ", "", reads[0])  # PostgreSQL's server cursor
    with connection.cursor() as cursor:
        cursor.execute(select)
        returned = str(cursor.fetchall())
    assert "Jonas" in returned
    s = signers.named
    for name in ("hidden", "withheld"):
        for value in (s[name].first_name, s[name].last_name, s[name].city, s[name].region):
            assert value not in returned, value


def squash_spaces(text: str) -> str:
    return " ".join(text.split())


def test_all_scope_lists_every_named_signer_of_the_petition(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    build = start(petition, scope="all")
    run_all(build)
    text = pdf_text(packet_bytes(build, "cn-e-is"))
    listed = list_section(text)
    s = signers.named
    for name in ("anna", "jonas", "munich", "unrouted"):
        assert s[name].last_name in listed, name
    for name in ("seoul", "tokyo", "beijing"):
        assert s[name].first_name in squash(listed), name
    for name in ("hidden", "withheld", "held", "pending"):
        assert s[name].last_name not in text, name
    assert "Signers named: 7" in text
    assert "Total for this mission: 0" in text
    assert "Total of the petition: 9" in text


def test_cjk_and_hangul_names_survive_the_round_trip(
    petition: Any, missions: Any, signers: Signers
) -> None:
    build = start(petition)
    run_all(build)
    seoul = squash(pdf_text(packet_bytes(build, "cn-e-kr")))
    assert "지우" in seoul and "김" in seoul and "서울" in seoul
    tokyo = squash(pdf_text(packet_bytes(build, "cn-e-jp")))
    for word in ("さくら", "山田", "東京", "秀英", "横浜"):
        assert word in tokyo, word


def test_no_signer_email_is_anywhere_in_a_packet_or_its_metadata(
    petition: Any, missions: Any, signers: Signers, letter: Any, partner_letter: Any
) -> None:
    build = start(petition, scope="all")
    run_all(build)
    locals_ = [email.split("@")[0] for email in signers.emails]
    for packet in build.packets.all():
        data = packet_bytes(build, packet.mission.key)
        text = pdf_text(data)
        listed = list_section(text)
        assert "@" not in listed
        for email, local in zip(signers.emails, locals_, strict=True):
            assert email not in text and local not in text
            assert local.encode() not in data
        reader = PdfReader(io.BytesIO(data))
        metadata = {key: str(value) for key, value in (reader.metadata or {}).items()}
        assert set(metadata) == {"/Title", "/Producer"}
        assert metadata["/Producer"] == "safepassage"
        assert packet.mission.name in metadata["/Title"]
        for value in metadata.values():
            assert "@" not in str(value)
            for signature in signers.named.values():
                assert signature.last_name not in str(value)
        assert "/Metadata" not in reader.root_object


def test_cover_letters_come_sample_first_and_attachments_once(
    petition: Any, missions: Any, signers: Signers, letter: Any, partner_letter: Any
) -> None:
    build = start(petition)
    run_all(build)
    text = pdf_text(packet_bytes(build, "cn-cg-munich"))
    assert text.index("We write to") < text.index("Our union asks")
    assert text.index("Our union asks") < text.index("Signatures handed to")
    assert text.count(ATTACHMENT_TEXT) == 1


def test_a_build_without_cover_letters_still_makes_every_packet(
    petition: Any, missions: Any, signers: Signers
) -> None:
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    text = pdf_text(packet_bytes(build, "cn-e-de"))
    assert text.lstrip().startswith("Petition to")


def test_signatures_after_the_snapshot_are_not_in_the_build(
    petition: Any, missions: Any, signers: Signers
) -> None:
    build = start(petition)
    sign(petition, missions["berlin"], "Spätkommer", "Nachzügler")
    run_all(build)
    text = pdf_text(packet_bytes(build, "cn-e-de"))
    assert "Nachzügler" not in text
    assert "Total for this mission: 4" in text


def test_building_twice_gives_the_same_bytes(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    first = start(petition)
    run_all(first)
    second = start(petition)
    run_all(second)
    for a, b in zip(
        first.packets.order_by("mission__key"), second.packets.order_by("mission__key"), strict=True
    ):
        assert a.sha256 == b.sha256, a.mission.key
        assert packet_bytes(first, a.mission.key) == packet_bytes(second, b.mission.key)
    assert first.zip_sha256 == second.zip_sha256
    assert len(first.zip_sha256) == 64


def test_an_interrupted_and_resumed_build_gives_the_same_bytes(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    straight = start(petition)
    run_all(straight)

    build = start(petition)
    ids = list(build.packets.order_by("pk").values_list("pk", flat=True))
    for packet_id in ids[:2]:
        assert services.build_one(packet_id) == "built"
    assert services.interrupt(build)
    # Queued tasks find the build paused and leave their packets alone.
    assert services.build_one(ids[2]) == "build not running"
    assert build.packets.filter(status=Packet.Status.DONE).count() == 2
    assert services.resume(build) == 3
    assert services.build_one(ids[0]) == "done already"
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    hashes = dict(straight.packets.values_list("mission__key", "sha256"))
    assert dict(build.packets.values_list("mission__key", "sha256")) == hashes
    assert build.zip_sha256 == straight.zip_sha256


def test_the_zip_holds_every_packet_and_a_neutralised_manifest(
    petition: Any, missions: Any, signers: Signers, letter: Any
) -> None:
    missions["munich"].name = '=HYPERLINK("http://x")'
    missions["munich"].save()
    build = start(petition)
    run_all(build)
    with build.zip_file.open("rb") as handle:
        data: bytes = handle.read()
    assert hashlib.sha256(data).hexdigest() == build.zip_sha256
    zipped = zipfile.ZipFile(io.BytesIO(data))
    names = zipped.namelist()
    assert names == sorted(names)
    assert "manifest.csv" in names
    assert {info.date_time for info in zipped.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    for packet in build.packets.all():
        member = zipped.read(archive.packet_name(build, packet))
        assert hashlib.sha256(member).hexdigest() == packet.sha256
    assert "2026-09-24 Munich — =HYPERLINK( http x ).pdf" in names
    manifest = zipped.read("manifest.csv").decode()
    assert "'=HYPERLINK" in manifest
    assert "cn-e-de,Embassy of China in Berlin,Berlin,Germany" in manifest
    assert ",2026-09-24 Berlin — Embassy of China in Berlin.pdf\r\n" in manifest
    assert ",4,2,1,1," in manifest
    for email in signers.emails:
        assert email.split("@")[0] not in manifest


def test_a_failing_packet_records_its_reason_and_the_build_fails_until_resumed(
    petition: Any, missions: Any, signers: Signers, monkeypatch: pytest.MonkeyPatch
) -> None:
    from safepassage.packets import assemble

    real = assemble.build_packet

    def broken(build: Any, mission: Any) -> Any:
        if mission.key == "cn-e-kr":
            raise RuntimeError("font trouble with 김지우")
        return real(build, mission)

    monkeypatch.setattr(assemble, "build_packet", broken)
    build = start(petition)
    run_all(build)
    assert build.status == PacketBuild.Status.FAILED
    assert not build.zip_file
    failed = build.packets.get(status=Packet.Status.FAILED)
    assert failed.mission.key == "cn-e-kr"
    assert "RuntimeError" in failed.error and "김" not in failed.error
    monkeypatch.setattr(assemble, "build_packet", real)
    assert services.resume(build) == 1
    run_all(build)
    assert build.status == PacketBuild.Status.DONE
    assert build.zip_sha256


def test_page_one_of_a_packet_is_the_letter_on_its_letterhead(
    petition: Any, missions: Any, signers: Signers, partner_letter: Any
) -> None:
    from pypdf import PdfReader

    from safepassage.letters.models import Letterhead

    head = Letterhead.objects.create(
        organisation=partner_letter.organisation,
        name="Standard",
        kind=Letterhead.Kind.DESIGNED,
        footer_lines="Board: Kim Seong-min (chair), Lee Ji-woo (treasurer)",
    )
    partner_letter.letterhead = head
    partner_letter.save()
    # Only the partner's letter goes out: its letterhead is on page one.
    partner_letter.campaign.letters.exclude(pk=partner_letter.pk).update(in_packets=False)
    build = start(petition)
    run_all(build)
    data = packet_bytes(build, "cn-e-de")
    page_one = PdfReader(io.BytesIO(data)).pages[0].extract_text()
    assert "Free Korea Union" in page_one
    assert "Kim Seong-min (chair)" in page_one
    assert "Our union asks" in page_one
