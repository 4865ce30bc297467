"""Events and RSVPs in the admin; who sees what follows the roles (accounts.permissions).

Events: organisers manage their campaigns' events, partner editors their
organisation's, coordinators those in their cities, missions or events
(permissions.events_for). Start and end are entered in the event's own local
time (forms.EventAdminForm).

RSVPs: names are listed only for events whose names the user may see
(permissions.rsvp_events_for and can_see_rsvp_names: organisers and the
event's coordinators, never partner editors). No e-mail field, hash or
ciphertext, is ever shown, and RSVPs are not edited here: people change
their own with the links in their mail.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from safepassage.accounts import permissions
from safepassage.accounts.admin_mixins import CampaignScopedAdmin
from safepassage.events import services
from safepassage.events.forms import EventAdminForm
from safepassage.events.models import RSVP, Event


def _has_any_role(request: HttpRequest) -> bool:
    return permissions.campaigns_for(request.user).exists()


def _manageable(request: HttpRequest) -> Q:
    q = Q(pk__in=[])
    for campaign in permissions.campaigns_for(request.user):
        q |= Q(pk__in=permissions.events_for(request.user, campaign).values("pk"))
    return q


def may_hold(user: Any, event: Event) -> bool:
    """Whether the event, as it would be saved, is one the user may manage.

    Checked on the unsaved values, so nobody moves an event out of their own
    reach or into a campaign, organisation or city that is not theirs.
    """
    if event.campaign_id is None:
        return False
    if permissions.can_see_rsvp_names(user, event):  # organiser, or in a coordinator's scope
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
    readonly_fields = ["public_link", "confirmed_people", "updated_at"]
    fieldsets = [
        (None, {"fields": ["campaign", "kind", "title", "description", "status", "public_link"]}),
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
        return super().get_queryset(request).filter(_manageable(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "campaign":
            kwargs["queryset"] = permissions.campaigns_for(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _has_any_role(request)

    def has_view_permission(self, request: HttpRequest, obj: Event | None = None) -> bool:
        if obj is None:
            return _has_any_role(request)
        return permissions.can_manage_event(request.user, obj)

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
        q |= Q(pk__in=permissions.rsvp_events_for(request.user, campaign).values("pk"))
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
        return permissions.can_see_rsvp_names(request.user, obj.event)

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


# The remembrance list and reading script have their own admin module.
from safepassage.events import remembrance_admin  # noqa: E402, F401
