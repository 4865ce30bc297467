"""One mission's packet: cover letters, then the signer list, then the attachments.

The result must be byte-identical whenever it is built from the same build
(brief, invariant 5): the letters are rendered from the build's fixed
versions and dated on the day of action, the list comes from the packet's
snapshot (``snapshot.py``), and the parts are joined by ``lib/pdf.py``: a /ID
derived from the content instead of a random one, no dates in the metadata.
The metadata holds only a title (mission and campaign) and the producer,
never anything a signer typed. The list's first page says where the packet
goes and how fresh that address is (``address_notes``), judged on the day of
action too.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from safepassage.directory import freshness
from safepassage.letters.merge import context_for, mission_address
from safepassage.letters.rendering import attachment_pdfs, render_letter_pdf
from safepassage.lib.pdf import merge
from safepassage.packets import snapshot

if TYPE_CHECKING:
    from safepassage.directory.models import Mission
    from safepassage.letters.models import LetterVersion, SupportingDocument
    from safepassage.packets.listpdf import ListRow
    from safepassage.packets.models import PacketBuild


def packet_language(build: PacketBuild) -> str:
    """The language of the list headers and of country and region names."""
    return build.petition.default_language or "en"


def letter_versions(build: PacketBuild) -> list[LetterVersion]:
    """The build's cover letters: the sample letter first, then organisations by name."""
    versions = build.letter_versions.select_related("letter", "letter__organisation")
    return sorted(
        versions,
        key=lambda v: (
            v.letter.organisation is not None,
            v.letter.organisation.name.casefold() if v.letter.organisation else "",
            v.letter.language,
            v.letter.pk,
            v.pk,
        ),
    )


def attachments(versions: Sequence[LetterVersion]) -> list[SupportingDocument]:
    """The letters' attachments, each file once (by content), in letter order."""
    seen: set[str] = set()
    documents = []
    for version in versions:
        for document in attachment_pdfs(version.letter):
            if document.sha256 in seen:
                continue
            seen.add(document.sha256)
            documents.append(document)
    return documents


def list_title(build: PacketBuild, mission: Mission) -> tuple[str, str]:
    """Title and subtitle of the list; the mission goes in the subtitle so a long
    target title, shortened to fit one line, never hides whom the list is for."""
    campaign = build.campaign
    title = _("Petition to %(person)s, %(title)s") % {
        "title": campaign.target_title,
        "person": campaign.target_person,
    }
    subtitle = _("Signatures handed to %(mission)s — %(campaign)s") % {
        "mission": mission.name,
        "campaign": campaign.title,
    }
    return title, subtitle


def address_notes(build: PacketBuild, mission: Mission) -> list[str]:
    """Page one's lines on where the packet goes: the address on record and how fresh it is.

    Judged on the campaign's day of action, the date the letters already
    carry, from the mission's stored verification dates: no clock, so a
    rebuild prints the same. A missing address is one line saying so.
    """
    row = freshness.mission_freshness(mission, build.campaign.day_of_action)
    if row.state == "missing":
        return [freshness.describe(row)]
    lines = mission_address(mission, packet_language(build)).splitlines()
    address = _("Address on record: %(address)s") % {"address": ", ".join(lines)}
    return [address, freshness.describe(row)]


def totals_lines(listed: snapshot.Counts, mission_total: int, petition_total: int) -> list[str]:
    return [
        _("Signers named: %(count)s") % {"count": listed.named},
        ngettext(
            "and %(count)s further signer who asked not to be named",
            "and %(count)s further signers who asked not to be named",
            listed.unnamed,
        )
        % {"count": listed.unnamed},
        ngettext(
            "and %(count)s further signature whose name was withheld",
            "and %(count)s further signatures whose names were withheld",
            listed.withheld,
        )
        % {"count": listed.withheld},
        _("Total for this mission: %(count)s") % {"count": mission_total},
        _("Total of the petition: %(count)s") % {"count": petition_total},
    ]


def render_list(
    build: PacketBuild,
    mission: Mission,
    rows: Iterable[ListRow],
    listed: snapshot.Counts,
    mission_total: int,
    petition_total: int,
) -> tuple[bytes, int]:
    """The signer list of one mission as PDF bytes, and its page count."""
    from safepassage.packets.listpdf import render_signer_list

    language = packet_language(build)
    with translation.override(language):
        headers = (_("No."), _("Name"), _("City"), _("Region"), _("Country"))
        title, subtitle = list_title(build, mission)
        result = render_signer_list(
            rows,
            title=title,
            subtitle=subtitle,
            notes=address_notes(build, mission),
            headers=headers,
            totals=totals_lines(listed, mission_total, petition_total),
            page_label=_("Page {page} of {pages}"),
            language=language,
        )
    return result.pdf, result.pages


def render_letters(
    build: PacketBuild,
    mission: Mission,
    versions: Iterable[LetterVersion],
    mission_total: int,
    petition_total: int,
) -> list[bytes]:
    pdfs = []
    for version in versions:
        context = context_for(
            version.letter,
            mission,
            signatures_mission=mission_total,
            signatures_total=petition_total,
            on=build.campaign.day_of_action,
        )
        pdfs.append(render_letter_pdf(version, context))
    return pdfs


def build_packet(build: PacketBuild, mission: Mission) -> tuple[bytes, dict[str, int]]:
    """The packet of ``mission`` in ``build`` as PDF bytes, with its counts.

    Counts: ``named``, ``unnamed``, ``withheld``, ``total`` (of the signatures
    the list stands for), ``mission`` (routed to this mission), ``petition``
    (the whole snapshot) and ``pages``.
    """
    # The petition's total was counted with the packet's snapshot; a mission's
    # own list stands for exactly its signatures, so one count serves both.
    petition_total = snapshot.petition_total(build, mission)
    language = packet_language(build)
    rows: Iterable[ListRow]
    if build.scope == build.Scope.MISSION:
        listed, rows = snapshot.listing(snapshot.mission_signatures(build, mission), language)
        mission_total = listed.total
    else:
        everyone = snapshot.signatures(build)
        listed = snapshot.count(everyone)
        rows = snapshot.named_rows(everyone, language)
        mission_total = snapshot.mission_signatures(build, mission).count()

    versions = letter_versions(build)
    parts = render_letters(build, mission, versions, mission_total, petition_total)
    list_pdf, _list_pages = render_list(build, mission, rows, listed, mission_total, petition_total)
    parts.append(list_pdf)
    for document in attachments(versions):
        with document.file.open("rb") as handle:
            parts.append(handle.read())

    data, pages = merge(parts, title=f"{mission.name} — {build.campaign.title}")
    counts = {
        "named": listed.named,
        "unnamed": listed.unnamed,
        "withheld": listed.withheld,
        "total": listed.total,
        "mission": mission_total,
        "petition": petition_total,
        "pages": pages,
    }
    return data, counts
