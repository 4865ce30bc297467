from django.contrib import admin, messages
from django.core.cache import cache
from django.db.models import QuerySet
from django.http import HttpRequest

from safepassage.campaigns.models import count_cache_key
from safepassage.signatures import services
from safepassage.signatures.models import Erasure, Signature

SIGNATURE_FIELDS = (
    "petition", "status", "first_name", "last_name", "city", "region", "country",
    "publish_name", "contact", "language", "consent_version", "consent_hash",
    "review_reason", "created_at", "confirmed_at",
)  # fmt: skip


@admin.register(Signature)
class SignatureAdmin(admin.ModelAdmin[Signature]):
    """Organisers see names and places; the e-mail (hash or ciphertext) is never shown."""

    list_display = [
        "pk", "petition", "first_name", "last_name", "city", "region", "country",
        "status", "publish_name", "contact", "review_reason", "created_at",
    ]  # fmt: skip
    list_filter = ["status", "petition", "contact", "publish_name", "country"]
    list_select_related = ["petition"]
    search_fields = ["first_name", "last_name", "city"]
    fields = SIGNATURE_FIELDS
    readonly_fields = tuple(f for f in SIGNATURE_FIELDS if f != "review_reason")
    actions = ["clear_review", "erase"]
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # Deleting would leave no tombstone; the "erase" action does it properly.
        return False

    @admin.action(
        description="Count the selected signatures (clear the review flag)", permissions=["change"]
    )
    def clear_review(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        petitions = set(queryset.values_list("petition_id", flat=True))
        cleared = queryset.exclude(review_reason="").update(review_reason="")
        for petition_id in petitions:
            cache.delete(count_cache_key(petition_id))
        self.message_user(request, f"{cleared} signatures cleared for counting.", messages.SUCCESS)

    @admin.action(
        description="Erase the selected signatures (keeps only a hash tombstone)",
        permissions=["change"],
    )
    def erase(self, request: HttpRequest, queryset: QuerySet[Signature]) -> None:
        erased = 0
        for signature in queryset:
            services.erase(signature, reason="organiser")
            erased += 1
        self.message_user(request, f"{erased} signatures erased.", messages.SUCCESS)


@admin.register(Erasure)
class ErasureAdmin(admin.ModelAdmin[Erasure]):
    list_display = ["petition", "reason", "erased_at"]
    list_filter = ["reason", "petition"]
    fields = ("petition", "reason", "erased_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        # A deleted tombstone would let a restored backup bring a signature back.
        return False
