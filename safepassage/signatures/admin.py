from collections import defaultdict

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from safepassage.accounts.admin_mixins import CampaignScopedAdmin, OrganisersReadOnly
from safepassage.accounts.reauth import reauth_required_action
from safepassage.campaigns.admin import PetitionAdmin
from safepassage.campaigns.models import Petition
from safepassage.signatures import counter, moderation, services
from safepassage.signatures.models import (
    CampaignStats,
    EmbedOrigin,
    Erasure,
    ModerationAction,
    ModerationEntry,
    Signature,
)


class PetitionWithCountAdmin(PetitionAdmin):
    """The campaigns app's petition admin, with the live count of confirmed signatures."""

    list_display = [*PetitionAdmin.list_display, "confirmed"]

    @admin.display(description=gettext_lazy("confirmed signatures"))
    def confirmed(self, obj: Petition) -> int:
        return counter.confirmed_count(obj)


# The campaigns app registered its admin first (INSTALLED_APPS order); this one replaces it.
admin.site.unregister(Petition)
admin.site.register(Petition, PetitionWithCountAdmin)

# Every selected signature travels as a form field through the reason page.
_ADMIN_LIMIT = 500

SIGNATURE_FIELDS = (
    "petition", "status", "first_name", "last_name", "city", "region", "country",
    "publish_name", "contact", "language", "consent_version", "consent_hash",
    "review_reason", "name_withheld", "created_at", "confirmed_at",
    "channel", "source", "collected_by", "sheet", "embed_partner",
)  # fmt: skip


@admin.register(Signature)
class SignatureAdmin(CampaignScopedAdmin):
    """Organisers see names and places; the e-mail (hash or ciphertext) is never shown."""

    campaign_lookup = "petition__campaign"

    list_display = [
        "pk", "petition", "first_name", "last_name", "city", "region", "country",
        "status", "publish_name", "name_withheld", "contact", "review_reason", "created_at",
    ]  # fmt: skip
    list_filter = [
        "status", "petition", "channel", "contact", "publish_name", "name_withheld", "country",
    ]  # fmt: skip
    list_select_related = ["petition"]
    search_fields = ["first_name", "last_name", "city"]
    fields = SIGNATURE_FIELDS
    readonly_fields = tuple(f for f in SIGNATURE_FIELDS if f != "review_reason")
    actions = ["clear_review", "withhold_names", "erase"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting would leave no tombstone; the "erase" action does it properly.
        return False

    @admin.action(
        description="Count the selected signatures (clear the review flag)", permissions=["change"]
    )
    @reauth_required_action
    def clear_review(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        # Sends the mail held with them too; an invalidation is undone on the moderation page.
        cleared, moderated = moderation.clear_review(queryset)
        self.message_user(request, f"{cleared} signatures cleared for counting.", messages.SUCCESS)
        if moderated:
            self.message_user(
                request,
                f"{moderated} signatures invalidated by moderation were left alone: "
                "reverse their action on the campaign's moderation page.",
                messages.WARNING,
            )

    @admin.action(
        description="Withhold the names of the selected signatures from packets",
        permissions=["change"],
    )
    @reauth_required_action
    def withhold_names(
        self, request: HttpRequest, queryset: QuerySet[Signature]
    ) -> HttpResponse | None:
        """Asks for a reason first (a page like the delete confirmation), then audits it."""
        reason = " ".join(request.POST.get("reason", "").split())
        if request.POST.get("confirm") and reason:
            by_petition: dict[int, list[int]] = defaultdict(list)
            for petition_id, pk in queryset.values_list("petition_id", "pk"):
                by_petition[petition_id].append(pk)
            hidden = 0
            for petition in Petition.objects.filter(pk__in=by_petition):
                try:
                    action = moderation.hide_names(
                        petition, by_petition[petition.pk], reason, request.user
                    )
                except moderation.ModerationError:
                    continue  # every name selected there is withheld already
                hidden += action.affected
            self.message_user(
                request,
                _("%(n)d names withheld from the packets.") % {"n": hidden},
                messages.SUCCESS,
            )
            return None
        selected = list(
            queryset.select_related(None).only("pk", "first_name", "last_name", "city", "country")[
                : _ADMIN_LIMIT + 1
            ]
        )
        if len(selected) > _ADMIN_LIMIT:
            self.message_user(
                request,
                _("Select at most %(n)d signatures here; use the moderation page for more.")
                % {"n": _ADMIN_LIMIT},
                messages.ERROR,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Withhold names from the packets"),
            "opts": self.model._meta,
            "selected": selected,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "missing_reason": bool(request.POST.get("confirm")),
        }
        return TemplateResponse(request, "moderation/admin_withhold.html", context)

    @admin.action(
        description="Erase the selected signatures (keeps only a hash tombstone)",
        permissions=["change"],
    )
    @reauth_required_action
    def erase(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        erased = 0
        for signature in queryset:
            services.erase(signature, reason="organiser")
            erased += 1
        self.message_user(request, f"{erased} signatures erased.", messages.SUCCESS)


@admin.register(Erasure)
class ErasureAdmin(CampaignScopedAdmin):
    campaign_lookup = "petition__campaign"
    list_display = ["petition", "reason", "erased_at"]
    list_filter = ["reason", "petition"]
    fields = ("petition", "reason", "erased_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # A deleted tombstone would let a restored backup bring a signature back.
        return False


class ModerationEntryInline(admin.TabularInline[ModerationEntry, ModerationAction]):
    model = ModerationEntry
    fields = ("signature", "previous_review_reason", "previous_name_withheld")
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    show_change_link = False


@admin.register(ModerationAction)
class ModerationActionAdmin(CampaignScopedAdmin):
    """The audit trail: read only here; actions are taken and reversed on the moderation page."""

    campaign_lookup = "petition__campaign"

    list_display = ["pk", "petition", "kind", "affected", "reason", "created_by", "created_at"]
    list_display += ["reversed_at"]
    list_filter = ["kind", "petition"]
    fields = (
        "petition", "kind", "criteria", "reason", "affected", "created_by", "created_at",
        "reversed_by", "reversed_at",
    )  # fmt: skip
    readonly_fields = fields
    inlines = [ModerationEntryInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # The audit must outlive the decision; reversing is the way back.
        return False


@admin.register(CampaignStats)
class CampaignStatsAdmin(OrganisersReadOnly):
    """The worker's aggregates of the user's campaigns, to look at (refreshed by reports)."""

    campaign_lookup = "campaign"
    list_display = (
        "campaign",
        "total",
        "on_paper",
        "paper",
        "countries",
        "missions_reached",
        "refreshed_at",
        "counted_until",
    )
    list_select_related = ("campaign",)
    fields = (*list_display, "by_collector", "by_embed_partner")
    readonly_fields = fields


@admin.register(EmbedOrigin)
class EmbedOriginAdmin(CampaignScopedAdmin):
    """Partner sites that may frame a campaign's signing form (signatures/embeds.py)."""

    campaign_lookup = "campaign"
    list_display = ("origin", "organisation", "campaign", "created_at")
    list_filter = ("campaign", "organisation")
    list_select_related = ("campaign", "organisation")
    fields = ("campaign", "organisation", "origin")
