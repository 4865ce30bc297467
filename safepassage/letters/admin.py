"""Letters in the admin, for organisers: letters, read-only versions, letterheads, documents.

Access follows the campaign roles (accounts.permissions), not Django's model
permissions: staff who organise a campaign see its letters, supporting
documents and the letterheads of its organisations; superusers see all.
Versions are read-only here, as everywhere: a change is a new version, made
in the letter editor, and approval happens on the team's letter pages where
the rules are checked. No signer data is involved.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.admin_mixins import CampaignScopedAdmin
from safepassage.accounts.permissions import organiser_campaigns
from safepassage.letters.models import (
    Letter,
    Letterhead,
    LetterVersion,
    Signatory,
    SupportingDocument,
)


class _OrganisersOnly(CampaignScopedAdmin):
    """Rows of the campaigns the user organises (CampaignScopedAdmin)."""


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SignatoryInline(_ReadOnly, admin.TabularInline[Signatory, LetterVersion]):
    model = Signatory
    extra = 0
    fields = ("position", "name", "title", "signature_image")
    readonly_fields = ("position", "name", "title", "signature_image")


@admin.register(LetterVersion)
class LetterVersionAdmin(_ReadOnly, CampaignScopedAdmin):
    campaign_lookup = "letter__campaign"
    list_display = ["letter", "number", "status", "created_by", "created_at", "reviewed_by"]
    list_filter = ["status"]
    list_select_related = ["letter__campaign", "letter__organisation", "created_by", "reviewed_by"]
    search_fields = ["subject", "letter__organisation__name"]
    fields = (
        "letter",
        "number",
        "subject",
        "body",
        "closing",
        "status",
        "created_by",
        "created_at",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    )
    readonly_fields = fields
    inlines = [SignatoryInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[LetterVersion]:
        return (
            super()
            .get_queryset(request)
            .filter(letter__campaign__in=organiser_campaigns(request.user))
        )


class LetterVersionInline(_ReadOnly, admin.TabularInline[LetterVersion, Letter]):
    model = LetterVersion
    extra = 0
    fields = ("number", "subject", "status", "created_by", "created_at", "reviewed_by")
    readonly_fields = ("number", "subject", "status", "created_by", "created_at", "reviewed_by")
    show_change_link = True


@admin.register(Letter)
class LetterAdmin(_OrganisersOnly):
    campaign_lookup = "campaign"
    list_display = [
        "__str__",
        "organisation",
        "language",
        "approved_number",
        "in_packets",
        "editor",
    ]
    list_filter = ["in_packets", "language"]
    list_select_related = ["campaign", "organisation", "approved_version"]
    search_fields = ["organisation__name", "campaign__title"]
    # The approved version is set by approval on the letter pages, where the rules are.
    readonly_fields = ["campaign", "organisation", "forked_from", "approved_version", "created_at"]
    fields = [
        "campaign",
        "organisation",
        "language",
        "forked_from",
        "approved_version",
        "letterhead",
        "attachments",
        "in_packets",
        "created_at",
    ]
    filter_horizontal = ["attachments"]
    inlines = [LetterVersionInline]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # letters are started on the letter pages (sample letter, fork)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Letter]:
        return super().get_queryset(request).filter(campaign__in=organiser_campaigns(request.user))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "letterhead":
            organisations = Q(organisation__campaigns__in=organiser_campaigns(request.user))
            kwargs["queryset"] = Letterhead.objects.filter(organisations).distinct()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "attachments":
            kwargs["queryset"] = SupportingDocument.objects.filter(
                campaign__in=organiser_campaigns(request.user)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("approved version"))
    def approved_number(self, obj: Letter) -> int | None:
        return obj.approved_version.number if obj.approved_version else None

    @admin.display(description=_("letter page"))
    def editor(self, obj: Letter) -> str:
        url = reverse("letters:history", args=[obj.campaign.slug, obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("history"))


@admin.register(Letterhead)
class LetterheadAdmin(_OrganisersOnly):
    """The letterheads of the organisations of the user's campaigns or of their letters."""

    def campaign_q(self, campaign_ids: frozenset[int]) -> Q:
        return Q(organisation__campaigns__in=campaign_ids) | Q(
            organisation__letters__campaign__in=campaign_ids
        )

    list_display = ["name", "organisation", "kind", "updated_at"]
    list_filter = ["kind"]
    list_select_related = ["organisation"]
    search_fields = ["name", "organisation__name"]
    # Files are uploaded on the letterhead pages, where they are checked.
    readonly_fields = ["organisation", "kind", "first_page", "later_pages"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Letterhead]:
        campaigns = organiser_campaigns(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(
                Q(organisation__campaigns__in=campaigns)
                | Q(organisation__letters__campaign__in=campaigns)
            )
            .distinct()
        )


@admin.register(SupportingDocument)
class SupportingDocumentAdmin(_OrganisersOnly):
    campaign_lookup = "campaign"
    list_display = ["title", "campaign", "language", "pages", "public", "uploaded_at"]
    list_filter = ["public", "language"]
    list_select_related = ["campaign"]
    search_fields = ["title"]
    # Uploaded on the documents page, where the PDF is checked and hashed.
    readonly_fields = ("campaign", "file", "sha256", "pages", "uploaded_by", "uploaded_at")
    fields = [
        "campaign",
        "title",
        "language",
        "public",
        "file",
        "sha256",
        "pages",
        "uploaded_by",
        "uploaded_at",
    ]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting checks the packets that used the document: the documents page does that.
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupportingDocument]:
        return super().get_queryset(request).filter(campaign__in=organiser_campaigns(request.user))
