"""Events and RSVPs in the admin; who sees what follows the roles (accounts.permissions).

Events: organisers manage their campaigns' events, partner editors their
organisation's, coordinators those in their cities, missions or events
(event_permissions.events_for). Start and end are entered in the event's own local
time (forms.EventAdminForm).

RSVPs: names are listed only for events whose names the user may see
(event_permissions.rsvp_events_for and can_see_rsvp_names: organisers and the
event's coordinators, never partner editors). No e-mail field, hash or
ciphertext, is ever shown, and RSVPs are not edited here: people change
their own with the links in their mail.

The remembrance list and the reading script: for the campaign's organisers
only (``OrganiserOnly``), whatever Django's model permissions say; other
staff see none of it. Superusers are organisers of every campaign.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import ForeignKey, Q, QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from safepassage.accounts import permissions
from safepassage.accounts.admin_mixins import CampaignScopedAdmin
from safepassage.accounts.models import Role
from safepassage.campaigns.models import Campaign
from safepassage.events import permissions as event_permissions
from safepassage.events import remembrance, services
from safepassage.events.forms import EventAdminForm
from safepassage.events.models import RSVP, Event, EventText, ReadingScript, RemembranceName
from safepassage.lib.localised import missing_languages_note


def _has_any_role(request: HttpRequest) -> bool:
    return permissions.campaigns_for(request.user).exists()


def _manageable(request: HttpRequest) -> Q:
    q = Q(pk__in=[])
    for campaign in permissions.campaigns_for(request.user):
        q |= Q(pk__in=event_permissions.events_for(request.user, campaign).values("pk"))
    return q


def may_hold(user: Any, event: Event) -> bool:
    """Whether the event, as it would be saved, is one the user may manage.

    Checked on the unsaved values, so nobody moves an event out of their own
    reach or into a campaign, organisation or city that is not theirs.
    """
    if event.campaign_id is None:
        return False
    if event_permissions.can_see_rsvp_names(user, event):  # organiser, or in a coordinator's scope
        return True
    return event.host_id is not None and event.host_id in permissions.editable_organisations(
        user, event.campaign_id
    )


class ScopedEventForm(EventAdminForm):
    user: Any = None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.errors:
            return cleaned
        candidate = Event(
            pk=self.instance.pk,
            campaign=cleaned.get("campaign"),
            host=cleaned.get("host"),
            mission=cleaned.get("mission"),
            country=cleaned.get("country") or "",
            city=cleaned.get("city") or "",
        )
        if not may_hold(self.user, candidate):
            raise ValidationError(
                _(
                    "You may only keep events of your own campaign, organisation or "
                    "cities here; please check the campaign, host and city."
                )
            )
        return cleaned


PLACE_FIELDS = (
    "venue", "address", "address_visibility", "city", "country", "latitude", "longitude",
    "mission",
)  # fmt: skip


class EventTextInline(admin.TabularInline[EventText, Event]):
    """The title and description in each further language (the event's own are its campaign's)."""

    model = EventText
    extra = 0
    fields = ["language", "title", "description"]


@admin.register(Event)
class EventAdmin(CampaignScopedAdmin):
    campaign_lookup = "campaign"
    any_role = True
    form = EventAdminForm
    list_display = [
        "title", "kind", "city", "country", "local_start", "status", "visibility",
        "address_visibility", "confirmed_people",
    ]  # fmt: skip
    list_filter = [
        ("campaign", admin.RelatedOnlyFieldListFilter), "kind", "status", "visibility", "country",
    ]  # fmt: skip
    list_select_related = ["campaign"]
    search_fields = ["title", "city", "venue"]
    readonly_fields = ["public_link", "confirmed_people", "updated_at", "missing_languages"]
    inlines = [EventTextInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "campaign",
                    "kind",
                    "title",
                    "description",
                    "status",
                    "public_link",
                    "missing_languages",
                ]
            },
        ),
        (
            _("Time"),
            {
                "fields": ["time_zone", "starts_local", "ends_local"],
                "description": _(
                    "Enter the local time where the event takes place; it is stored in UTC "
                    "and shown to everyone in the event's time zone."
                ),
            },
        ),
        (
            _("Place"),
            {
                "fields": PLACE_FIELDS,
                "description": _(
                    "Leave the coordinates empty to place the event at its city's centre."
                ),
            },
        ),
        (
            _("People"),
            {"fields": ["host", "contact", "capacity", "visibility", "confirmed_people"]},
        ),
        (None, {"fields": ["updated_at"]}),
    ]

    def get_form(
        self, request: HttpRequest, obj: Event | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = type("EventForm", (ScopedEventForm,), {"user": request.user})
        return super().get_form(request, obj, change, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).filter(_manageable(request)).prefetch_related("texts")

    @admin.display(description=_("languages still to write"))
    def missing_languages(self, obj: Event | None) -> SafeString:
        if obj is None or obj.pk is None:
            return SafeString("")
        return missing_languages_note(obj.missing_languages())

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "campaign":
            kwargs["queryset"] = permissions.campaigns_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _has_any_role(request)

    def has_view_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        if obj is None:
            return _has_any_role(request)
        return event_permissions.can_manage_event(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return _has_any_role(request)

    def has_change_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        return self.has_view_permission(request, obj)

    @admin.display(description=_("starts (local time)"), ordering="starts_at")
    def local_start(self, obj: Event) -> str:
        return services.format_in_zone(obj.starts_at, obj.zone)

    @admin.display(description=_("people coming"))
    def confirmed_people(self, obj: Event) -> int:
        return services.confirmed_people(obj) if obj.pk else 0

    @admin.display(description=_("public page"))
    def public_link(self, obj: Event) -> str:
        if not obj.pk:
            return "-"
        url = reverse("events:event", args=[obj.uuid])
        return format_html('<a href="{}">{}</a>', url, url)


RSVP_FIELDS = (
    "event", "name", "people", "status", "contact_ok", "language", "consent_version",
    "created_at", "confirmed_at",
)  # fmt: skip


def _named_events(request: HttpRequest) -> Q:
    q = Q(pk__in=[])
    for campaign in permissions.campaigns_for(request.user):
        q |= Q(pk__in=event_permissions.rsvp_events_for(request.user, campaign).values("pk"))
    return q


@admin.register(RSVP)
class RSVPAdmin(CampaignScopedAdmin):
    """Names for the event's organisers and coordinators only; never an e-mail field."""

    campaign_lookup = "event__campaign"
    any_role = True

    list_display = [
        "pk", "event", "name", "people", "status", "contact_ok", "language", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "contact_ok", ("event", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["event"]
    search_fields = ["name"]
    fields = RSVP_FIELDS
    readonly_fields = RSVP_FIELDS
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[RSVP]:
        visible = Event.objects.filter(_named_events(request))
        return super().get_queryset(request).filter(event__in=visible)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _has_any_role(request)

    def has_view_permission(self, request: HttpRequest, obj: RSVP | None = None) -> bool:
        if obj is None:
            return _has_any_role(request)
        return event_permissions.can_see_rsvp_names(request.user, obj.event)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: RSVP | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: RSVP | None = None) -> bool:
        return self.has_view_permission(request, obj)

    def delete_model(self, request: HttpRequest, obj: RSVP) -> None:
        services.withhold_mail([obj.pk])
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RSVP]) -> None:
        services.withhold_mail(list(queryset.values_list("pk", flat=True)))
        super().delete_queryset(request, queryset)


# --- The remembrance list and the reading script --------------------------------------


def organised_campaigns(request: HttpRequest) -> QuerySet[Campaign]:
    """The campaigns whose remembrance list the user keeps (see permissions.is_organiser)."""
    user = request.user
    if not (user.is_authenticated and user.is_active):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(roles__user=user, roles__kind=Role.Kind.ORGANISER).distinct()


class OrganiserOnly:
    """Role-based permissions for a model with a ``campaign`` foreign key."""

    def _campaign_ids(self, request: HttpRequest) -> set[int]:
        cached: set[int] | None = getattr(request, "_organised_campaign_ids", None)
        if cached is None:
            cached = set(organised_campaigns(request).values_list("pk", flat=True))
            request._organised_campaign_ids = cached  # type: ignore[attr-defined]
        return cached

    def _allowed(self, request: HttpRequest, obj: Any = None) -> bool:
        ids = self._campaign_ids(request)
        if obj is None:
            return bool(ids)
        return obj.campaign_id in ids

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._allowed(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._allowed(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._allowed(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        return queryset.filter(campaign_id__in=self._campaign_ids(request))

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "campaign":
            kwargs["queryset"] = organised_campaigns(request)
        field: ModelChoiceField[Any] | None = super().formfield_for_foreignkey(  # type: ignore[misc]
            db_field, request, **kwargs
        )
        return field


@admin.register(RemembranceName)
class RemembranceNameAdmin(OrganiserOnly, CampaignScopedAdmin):
    campaign_lookup = "campaign"
    list_display = ["position", "name", "native_name", "date", "place", "public", "campaign"]
    list_display_links = ["name"]
    list_editable = ["public", "position"]
    list_filter = ["campaign", "public"]
    list_select_related = ["campaign"]
    list_per_page = 200
    search_fields = ["name", "native_name", "date", "place", "source"]
    ordering = ["campaign", "position", "pk"]
    fields = ["campaign", "name", "native_name", "date", "place", "source", "public", "position"]
    actions = ["mark_public", "mark_not_public", "export_csv"]
    change_list_template = "events/remembrance_admin_change_list.html"

    @admin.action(description=_("Mark the selected names public (they will be read aloud)"))
    def mark_public(self, request: HttpRequest, queryset: QuerySet[RemembranceName]) -> None:
        count = queryset.update(public=True)
        self.message_user(
            request,
            ngettext("%(count)d name marked public.", "%(count)d names marked public.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Mark the selected names not public (never read or printed)"))
    def mark_not_public(self, request: HttpRequest, queryset: QuerySet[RemembranceName]) -> None:
        count = queryset.update(public=False)
        self.message_user(
            request,
            ngettext(
                "%(count)d name marked not public.", "%(count)d names marked not public.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Export the selected names as CSV"))
    def export_csv(self, request: HttpRequest, queryset: QuerySet[RemembranceName]) -> HttpResponse:
        out = io.StringIO()
        remembrance.export_csv(queryset.order_by("campaign", "position", "pk"), out)
        slugs = sorted(set(queryset.values_list("campaign__slug", flat=True)))
        filename = f"remembrance-{slugs[0]}.csv" if len(slugs) == 1 else "remembrance.csv"
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> TemplateResponse:
        links = []
        for campaign in organised_campaigns(request).order_by("-year", "title"):
            page = reverse("events:remembrance", args=[campaign.slug])
            upload = reverse("events:remembrance_import", args=[campaign.slug])
            links.append({"campaign": campaign, "page": page, "import": upload})
        context = {**(extra_context or {}), "remembrance_links": links}
        response: TemplateResponse = super().changelist_view(request, context)  # type: ignore[assignment]
        return response


@admin.register(ReadingScript)
class ReadingScriptAdmin(OrganiserOnly, CampaignScopedAdmin):
    campaign_lookup = "campaign"
    list_display = ["campaign", "opening_start"]
    list_select_related = ["campaign"]
    fields = ["campaign", "opening", "closing"]

    @admin.display(description=_("opening words"))
    def opening_start(self, obj: ReadingScript) -> str:
        text = obj.opening.strip().splitlines()
        return text[0][:80] if text else gettext("(none)")
