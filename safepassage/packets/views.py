"""Packet build pages, for organisers only; the rules are in services.py.

Anonymous visitors go to the login page; anyone else who does not organise
the campaign gets 403. Packets list signers, so every download is written
to the audit trail (``PacketDownload``) before the first byte goes out, is
sent as an attachment and must not be cached anywhere.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safepassage.accounts.permissions import is_organiser
from safepassage.accounts.reauth import reauth_required
from safepassage.campaigns.models import Campaign
from safepassage.packets import services, staleness
from safepassage.packets.forms import StartBuildForm
from safepassage.packets.models import Packet, PacketBuild, PacketDownload

logger = logging.getLogger(__name__)

# Seconds between reloads of a running build's progress page.
REFRESH_SECONDS = 3


def _organised(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    if not is_organiser(request.user, campaign):
        raise PermissionDenied
    return campaign


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
        filename = services.packet_filename(packet.mission)
        content_type = "application/pdf"
    else:
        filename = f"{build.campaign.slug}-packets-{build.pk}.zip"
        content_type = "application/zip"
    response = FileResponse(
        field.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
@reauth_required
def download_packet(request: HttpRequest, slug: str, build_id: int, packet_id: int) -> FileResponse:
    campaign = _organised(request, slug)
    build = _build(campaign, build_id)
    packet = get_object_or_404(
        Packet.objects.select_related("mission"),
        pk=packet_id,
        build=build,
        status=Packet.Status.DONE,
    )
    return _attachment(request, build, packet)


@login_required
@require_GET
@reauth_required
def download_zip(request: HttpRequest, slug: str, build_id: int) -> FileResponse:
    campaign = _organised(request, slug)
    build = _build(campaign, build_id)
    if build.status != PacketBuild.Status.DONE:
        raise Http404
    return _attachment(request, build, None)
