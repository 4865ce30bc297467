"""Delivery pages for organisers and coordinators; the rules are in services.py.

Everyone must be logged in (anonymous visitors go to the login page); a
delivery the user may not manage does not exist for them (404), so the
pages do not reveal which deliveries there are.
"""

from __future__ import annotations

from collections import Counter
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from safepassage.accounts.permissions import (
    campaigns_for,
    coordinator_scope,
    is_organiser,
)
from safepassage.campaigns.models import Campaign
from safepassage.deliveries import emailing, packets, services
from safepassage.deliveries.forms import (
    EvidenceForm,
    PublishForm,
    RecordForm,
    ResponseForm,
    SendForm,
)
from safepassage.deliveries.models import Delivery, Evidence, Response
from safepassage.deliveries.permissions import can_manage_delivery, deliveries_for
from safepassage.directory import freshness
from safepassage.lib import geo
from safepassage.lib.geo.timezones import mission_time_zone
from safepassage.lib.uploads import CONTENT_TYPES
from safepassage.packets import current
from safepassage.packets.permissions import packet_access


def _delivery_or_404(request: HttpRequest, pk: int) -> Delivery:
    delivery = (
        Delivery.objects.select_related("campaign", "mission", "message", "updated_by")
        .filter(pk=pk)
        .first()
    )
    if delivery is None or not can_manage_delivery(request.user, delivery):
        raise Http404
    return delivery


def _country_name(code: str) -> str:
    return geo.country_name(code, get_language() or "en") or code


@login_required
def index(request: HttpRequest) -> HttpResponse:
    campaigns = [
        c
        for c in campaigns_for(request.user).order_by("-year", "title")
        if is_organiser(request.user, c) or not coordinator_scope(request.user, c).empty
    ]
    return render(request, "deliveries/index.html", {"campaigns": campaigns})


@login_required
def campaign_deliveries(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, slug=slug)
    organiser = is_organiser(request.user, campaign)
    if not organiser and coordinator_scope(request.user, campaign).empty:
        raise Http404
    emailing.sync_email_deliveries()
    everything: QuerySet[Delivery] = deliveries_for(request.user, campaign)
    counts = Counter(everything.values_list("status", flat=True))
    wanted = request.GET.get("status", "")
    shown = everything.select_related("mission", "message")
    if wanted in Delivery.Status.values:
        shown = shown.filter(status=wanted)
    else:
        wanted = ""
    rows = sorted(
        shown, key=lambda d: (d.mission.host_country, d.mission.city.casefold(), d.mission.name)
    )
    groups = [
        (_country_name(country), list(items))
        for country, items in groupby(rows, key=lambda d: d.mission.host_country)
    ]
    statuses = [
        (status.value, status.label, counts.get(status.value, 0)) for status in Delivery.Status
    ]
    return render(
        request,
        "deliveries/list.html",
        {
            "campaign": campaign,
            "groups": groups,
            "statuses": statuses,
            "total": sum(counts.values()),
            "wanted": wanted,
            "organiser": organiser,
        },
    )


def _page(
    request: HttpRequest,
    delivery: Delivery,
    *,
    record_form: RecordForm | None = None,
    evidence_form: EvidenceForm | None = None,
    response_form: ResponseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    zone = mission_time_zone(delivery.mission)
    statuses = services.allowed_statuses(request.user, delivery)
    if record_form is None and statuses:
        record_form = RecordForm(
            initial=RecordForm.initial_for(delivery, zone), statuses=statuses, zone=zone
        )
    message = delivery.message
    info = packets.info(message.pk) if message is not None else None
    address = freshness.mission_freshness(delivery.mission, timezone.localdate())
    context: dict[str, Any] = {
        "delivery": delivery,
        "campaign": delivery.campaign,
        "mission": delivery.mission,
        "country": _country_name(delivery.mission.host_country),
        "address_state": address.state,
        "address_note": freshness.describe(address),
        "zone": zone,
        "local_zone": zone or "UTC",
        "record_form": record_form,
        "evidence_form": evidence_form or EvidenceForm(),
        "response_form": response_form or ResponseForm(),
        "history": services.history(delivery),
        "evidence": list(delivery.evidence.select_related("uploaded_by").order_by("uploaded_at")),
        "responses": list(delivery.responses.select_related("recorded_by")),
        "message": message,
        "packet": info,
        "can_send": emailing.can_send_by_email(delivery),
        "organiser": is_organiser(request.user, delivery.campaign),
    }
    return render(request, "deliveries/detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _delivery_or_404(request, pk)
    if emailing.sync_email_deliveries() != {"emailed": 0, "failed": 0}:
        delivery = _delivery_or_404(request, pk)
    if request.method != "POST":
        return _page(request, delivery)
    statuses = services.allowed_statuses(request.user, delivery)
    if not statuses:
        raise PermissionDenied
    zone = mission_time_zone(delivery.mission)
    form = RecordForm(request.POST, statuses=statuses, zone=zone)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.record(
                delivery,
                data["status"],
                by=data["delivered_by"],
                at=data["at"],
                received_by=data["received_by"],
                notes=data["notes"],
                packet_sha256=data["packet_sha256"],
                user=request.user,
                seen=form.seen_at(),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The delivery is recorded."))
            return redirect("deliveries:detail", pk=delivery.pk)
    return _page(request, delivery, record_form=form, status=400)


def _add_errors(form: Any, error: ValidationError) -> None:
    fields = {"delivered_at": "date"}
    if hasattr(error, "error_dict"):
        for name, errors in error.message_dict.items():
            target = fields.get(name, name)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
@require_POST
def add_evidence(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _delivery_or_404(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.add_evidence(
                delivery,
                form.cleaned_upload,
                kind=form.cleaned_data["kind"],
                caption=form.cleaned_data["caption"],
                publish=form.cleaned_data["publish"],
                user=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The evidence is stored."))
            return redirect(reverse("deliveries:detail", args=[delivery.pk]) + "#evidence")
    return _page(request, delivery, evidence_form=form, status=400)


def _private_file(name: str, download_name: str, inline: bool) -> FileResponse:
    extension = name.rsplit(".", 1)[-1].lower()
    content_type = CONTENT_TYPES.get(extension, "application/octet-stream")
    inline = inline and content_type.startswith("image/")
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=not inline,
        filename=f"{download_name}.{extension}",
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def evidence_file(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponseBase:
    delivery = _delivery_or_404(request, pk)
    evidence = get_object_or_404(Evidence, pk=evidence_id, delivery=delivery)
    return _private_file(
        evidence.file.name,
        f"evidence-{delivery.pk}-{evidence.pk}",
        request.GET.get("inline") == "1",
    )


@login_required
@require_POST
def evidence_publish(request: HttpRequest, pk: int, evidence_id: int) -> HttpResponse:
    delivery = _delivery_or_404(request, pk)
    evidence = get_object_or_404(Evidence, pk=evidence_id, delivery=delivery)
    form = PublishForm(request.POST)
    if form.is_valid():
        services.set_evidence_publish(evidence, form.cleaned_data["publish"], user=request.user)
    return redirect(reverse("deliveries:detail", args=[delivery.pk]) + "#evidence")


@login_required
@require_POST
def add_response(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _delivery_or_404(request, pk)
    form = ResponseForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_response(
                delivery,
                received_on=data["received_on"],
                channel=data["channel"],
                summary=data["summary"],
                scan=data["clean"],
                user=request.user,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("The response is recorded."))
            return redirect(reverse("deliveries:detail", args=[delivery.pk]) + "#responses")
    return _page(request, delivery, response_form=form, status=400)


@login_required
def response_scan(request: HttpRequest, pk: int, response_id: int) -> HttpResponseBase:
    delivery = _delivery_or_404(request, pk)
    response = get_object_or_404(Response, pk=response_id, delivery=delivery)
    if not response.scan:
        raise Http404
    return _private_file(
        response.scan.name,
        f"response-{delivery.pk}-{response.pk}",
        request.GET.get("inline") == "1",
    )


@login_required
@require_http_methods(["GET", "POST"])
def send(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = _delivery_or_404(request, pk)
    form = SendForm(request.POST or None, request.FILES or None, initial={"language": "en"})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            upload = data.get("packet")
            try:
                if data["source"] == SendForm.BUILT:
                    emailing.send_current_packet(
                        delivery, user=request.user, language=data["language"]
                    )
                else:
                    emailing.send_by_email(
                        delivery,
                        user=request.user,
                        packet=data["content"],
                        filename=upload.name if upload else "petition.pdf",
                        link=None if data["content"] is not None else data["link"] or None,
                        packet_sha256=data["link_sha256"] or "",
                        language=data["language"],
                    )
            except emailing.AlreadySent:
                messages.error(request, _("This delivery has already been e-mailed."))
                return redirect("deliveries:detail", pk=delivery.pk)
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request,
                    _("The mail is queued. The delivery is recorded as e-mailed once it is sent."),
                )
                return redirect("deliveries:detail", pk=delivery.pk)
    built = current.mission_packet(delivery.campaign, delivery.mission)
    access = packet_access(request.user, delivery.campaign)
    return render(
        request,
        "deliveries/send.html",
        {
            "delivery": delivery,
            "mission": delivery.mission,
            "campaign": delivery.campaign,
            "form": form,
            "can_send": emailing.can_send_by_email(delivery),
            "built": built,
            "built_problem": emailing.packet_problem(built),
            "may_rebuild": built.build is not None and access.may_rebuild(delivery.mission_id),
        },
        status=status,
    )


@login_required
def sent_packet(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The packet exactly as it was e-mailed."""
    delivery = _delivery_or_404(request, pk)
    if delivery.message_id is None:
        raise Http404
    info = packets.info(delivery.message_id)
    if info is None or not info.has_file:
        raise Http404
    name = f"{packets.ROOT}/{delivery.message_id}/packet.pdf"
    return _private_file(name, info.filename.removesuffix(".pdf"), inline=False)
