from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from safepassage.accounts.admin_mixins import SUPERUSERS, CampaignScopedAdmin
from safepassage.outbox.models import Message, Undeliverable
from safepassage.outbox.services import wake_senders

MESSAGE_FIELDS = (
    "kind", "status", "signature", "language", "attempts", "next_attempt_at",
    "last_error", "message_id", "created_at", "sent_at",
)  # fmt: skip


@admin.register(Message)
class MessageAdmin(CampaignScopedAdmin):
    """Delivery state of every mail; the recipient is never shown.

    A message belongs to the campaign of what it is about: a signature, an
    RSVP, an invitation or a delivery.
    """

    def campaign_q(self, campaign_ids: frozenset[int]) -> Q:
        return (
            Q(signature__petition__campaign__in=campaign_ids)
            | Q(rsvp__event__campaign__in=campaign_ids)
            | Q(invitation__campaign__in=campaign_ids)
            | Q(delivery__campaign__in=campaign_ids)
        )

    list_display = ["pk", "kind", "status", "attempts", "last_error", "created_at", "sent_at"]
    list_filter = ["status", "kind"]
    fields = MESSAGE_FIELDS
    readonly_fields = MESSAGE_FIELDS
    actions = ["retry_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    @admin.action(
        description="Send the selected messages that wait for a retry now", permissions=["change"]
    )
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Message]) -> None:
        ids = list(queryset.filter(status__in=[Message.Status.RETRY]).values_list("pk", flat=True))
        Message.objects.filter(pk__in=ids).update(next_attempt_at=timezone.now())
        wake_senders()
        self.message_user(request, f"{len(ids)} messages offered again.", messages.SUCCESS)


@admin.register(Undeliverable)
class UndeliverableAdmin(CampaignScopedAdmin):
    """Addresses reported bouncing or complaining, as keyed hashes: of no one campaign.

    Superusers only; read only, but a row may be deleted to mail that address again.
    """

    rule = SUPERUSERS
    list_display = ["__str__", "reason", "provider", "created_at"]
    list_filter = ["reason", "provider"]
    fields = ("email_hash", "reason", "provider", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: object) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
