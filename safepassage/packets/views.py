"""Packet pages; the rules are in services.py, who may do what in permissions.py.

The build pages are for organisers. A coordinator (and a partner editor an
organiser lets in) downloads the packets of their own missions, and a
coordinator has them built again; the list is on their dashboard
(``templatetags/mission_packets.py``). Anonymous visitors go to the login
page; a person with no right to any packet of the campaign gets 403, and a
packet of a mission that is not theirs does not exist for them (404).
Packets list signers, so every download is written to the audit trail
(``PacketDownload``) before the first byte goes out, is sent as an
attachment under its human name (``naming.py``) and must not be cached.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safepassage.accounts.permissions import is_organiser
from safepassage.accounts.reauth import reauth_required
from safepassage.campaigns.models import Campaign
from safepassage.packets import archive, naming, services, staleness
from safepassage.packets.forms import SharingForm, StartBuildForm
from safepassage.packets.models import Packet, PacketBuild, PacketDownload, PacketSharing
from safepassage.packets.permissions import PacketAccess, packet_access

logger = logging.getLogger(__name__)

# Seconds between reloads of a running build's progress page.
REFRESH_SECONDS = 3


def _organised(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    if not is_organiser(request.user, campaign):
        raise PermissionDenied
    return campaign


def _with_access(request: HttpRequest, slug: str) -> tuple[Campaign, PacketAccess]:
    campaign = get_object_or_404(Campaign, slug=slug)
    access = packet_access(request.user, campaign)
    if access.none:
        raise PermissionDenied
    return campaign, access


def _build(campaign: Campaign, build_id: int) -> PacketBuild:
    return get_object_or_404(
        PacketBuild.objects.select_related("petition", "created_by"),
        pk=build_id,
        campaign=campaign,
    )


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _organised(request, slug)
    form = StartBuildForm(request.POST or None, campaign=campaign)
    shared = PacketSharing.objects.filter(campaign=campaign).first()
    if request.method == "POST" and form.is_valid():
        build = services.start_build(
            campaign,
            form.cleaned_data["petition"],
            scope=form.cleaned_data["scope"],
            user=request.user,
        )
        logger.info("packet build %s started by user %s", build.pk, request.user.pk)
        return redirect("packets:build", slug=campaign.slug, build_id=build.pk)
    builds = [
        (build, services.progress(build))
        for build in campaign.packet_builds.select_related("petition", "created_by")
    ]
    return render(
        request,
        "packets/index.html",
        {
            "campaign": campaign,
            "form": form,
            "builds": builds,
            "cover_letters": len(services.approved_versions(campaign)),
            "sharing_form": SharingForm(
                initial={"partners_may_download": bool(shared and shared.partners_may_download)}
            ),
        },
    )


@login_required
@require_GET
def detail(request: HttpRequest, slug: str, build_id: int) -> HttpResponse:
    campaign = _organised(request, slug)
    build = _build(campaign, build_id)
    packets = list(build.packets.select_related("mission").order_by("mission__key"))
    running = build.status == PacketBuild.Status.RUNNING
    return render(
        request,
        "packets/build.html",
        {
            "campaign": campaign,
            "build": build,
            "progress": services.progress(build),
            "packets": packets,
            "failed": [p for p in packets if p.status == Packet.Status.FAILED],
            "stale": [p for p in packets if p.is_stale],
            # Not while it runs: the page reloads every few seconds.
            "missing": None if running else staleness.missing_signatures(build),
            "letters": services.build_letter_versions(build),
            "refresh": REFRESH_SECONDS if running else 0,
        },
    )


@login_required
@require_POST
def interrupt(request: HttpRequest, slug: str, build_id: int) -> HttpResponse:
    campaign = _organised(request, slug)
    build = _build(campaign, build_id)
    if services.interrupt(build):
        logger.info("packet build %s interrupted by user %s", build.pk, request.user.pk)
        messages.success(request, _("The build is interrupted; resume it whenever you like."))
    return redirect("packets:build", slug=campaign.slug, build_id=build.pk)


@login_required
@require_POST
def resume(request: HttpRequest, slug: str, build_id: int) -> HttpResponse:
    campaign = _organised(request, slug)
    build = _build(campaign, build_id)
    stale = staleness.stale_packets(build).count()
    if build.status == PacketBuild.Status.DONE and not stale:
        return redirect("packets:build", slug=campaign.slug, build_id=build.pk)
    queued = services.resume(build)
    logger.info("packet build %s resumed by user %s: %d queued", build.pk, request.user.pk, queued)
    if stale:
        messages.success(
            request,
            ngettext(
                "The out-of-date packet is being built again from the signatures as they "
                "are now; the other packets keep their files.",
                "The %(n)d out-of-date packets are being built again from the signatures "
                "as they are now; the other packets keep their files.",
                stale,
            )
            % {"n": stale},
        )
    else:
        messages.success(request, _("The build is running again."))
    return redirect("packets:build", slug=campaign.slug, build_id=build.pk)


def _attachment(request: HttpRequest, build: PacketBuild, packet: Packet | None) -> FileResponse:
    """Audit, then send a stored file as a download nobody may cache."""
    field = packet.file if packet is not None else build.zip_file
    sha256 = packet.sha256 if packet is not None else build.zip_sha256
    if not field or not sha256:
        raise Http404
    PacketDownload.objects.create(
        build=build, packet=packet, user_id=request.user.pk, sha256=sha256
    )
    logger.info(
        "packet download: build %s, %s, by user %s",
        build.pk,
        f"packet {packet.pk}" if packet is not None else "ZIP",
        request.user.pk,
    )
    if packet is not None:
        filename = archive.packet_name(build, packet)
        content_type = "application/pdf"
    else:
        filename = archive.zip_name(build)
        content_type = "application/zip"
    response = FileResponse(field.open("rb"), content_type=content_type)
    response["Content-Disposition"] = naming.content_disposition(filename)
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
@reauth_required
def download_packet(request: HttpRequest, slug: str, build_id: int, packet_id: int) -> FileResponse:
    campaign, access = _with_access(request, slug)
    build = _build(campaign, build_id)
    packet = get_object_or_404(
        Packet.objects.select_related("mission"),
        pk=packet_id,
        build=build,
        status=Packet.Status.DONE,
    )
    if not access.may_download(packet.mission_id):
        raise Http404
    return _attachment(request, build, packet)


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    wanted = request.POST.get("next", "")
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(wanted)
    return redirect(fallback)


@login_required
@require_POST
def build_mission(request: HttpRequest, slug: str, build_id: int, mission_id: int) -> HttpResponse:
    """Build this mission's packet again now, from a fresh snapshot (organiser, its coordinator)."""
    campaign, access = _with_access(request, slug)
    if not access.may_rebuild(mission_id):
        raise Http404
    build = _build(campaign, build_id)
    packet = services.build_mission_now(build, mission_id)
    logger.info(
        "packet of mission %s, build %s, built again by user %s",
        mission_id,
        build.pk,
        request.user.pk,
    )
    if packet is None:
        messages.error(request, _("This mission gets no packet: it is closed."))
    else:
        messages.success(
            request,
            _(
                "The packet of %(mission)s is being built from the signatures as they are now; "
                "the other packets keep their files."
            )
            % {"mission": packet.mission.name},
        )
    if access.organiser:
        fallback = reverse("packets:build", args=[campaign.slug, build.pk])
    else:
        fallback = reverse("team:dashboard", args=[campaign.slug]) + "#packets"
    return _back(request, fallback)


@login_required
@require_POST
def sharing(request: HttpRequest, slug: str) -> HttpResponse:
    """An organiser lets partner organisations' editors download their missions' packets, or not."""
    campaign = _organised(request, slug)
    form = SharingForm(request.POST)
    if form.is_valid():
        allowed = form.cleaned_data["partners_may_download"]
        PacketSharing.objects.update_or_create(
            campaign=campaign,
            defaults={
                "partners_may_download": allowed,
                "changed_by": request.user,
                "changed_at": timezone.now(),
            },
        )
        logger.info("packet sharing of %s set to %s by user %s", slug, allowed, request.user.pk)
        messages.success(
            request,
            _("Partner organisations' editors may now download the packets of their missions.")
            if allowed
            else _("Partner organisations' editors may no longer download packets."),
        )
    return redirect("packets:index", slug=campaign.slug)


@login_required
@require_GET
@reauth_required
def download_zip(request: HttpRequest, slug: str, build_id: int) -> FileResponse:
    campaign = _organised(request, slug)
    build = _build(campaign, build_id)
    if build.status != PacketBuild.Status.DONE:
        raise Http404
    return _attachment(request, build, None)
