from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Message(models.Model):
    """An e-mail to send: written in the same transaction as the state it reports.

    The body is rendered when it is sent, from the rows it refers to; the
    recipient is stored encrypted and wiped once the message is finished
    (sent, failed or withheld), so no address outlives its mail.
    """

    class Kind(models.TextChoices):
        SIGNATURE_CONFIRM = "signature-confirm", _("confirm a signature")
        SIGNATURE_REPEAT = "signature-repeat", _("signature requested again")
        RSVP_CONFIRM = "rsvp-confirm", _("confirm an RSVP")
        INVITATION = "invitation", _("invitation to a role")
        DELIVERY = "delivery", _("petition delivered by e-mail")
        # An organiser's update to consenting supporters (safepassage.updates).
        UPDATE = "update", _("update to supporters")
        DIRECTORY_PROPOSAL = "directory-proposal", _("directory proposal decided")
        DIRECTORY_REMINDER = "directory-reminder", _("mission directory data to check")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        SENDING = "sending", _("sending")
        RETRY = "retry", _("waiting to retry")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        WITHHELD = "withheld", _("withheld")
        # Not sent until an organiser clears the submission's review (then "queued");
        # senders and the housekeeping sweep never pick it up.
        HELD = "held", _("held for review")

    # Unsent and still carrying its recipient: what withholding a message stops.
    PENDING_STATUSES = (Status.QUEUED, Status.SENDING, Status.RETRY, Status.HELD)

    kind = models.CharField(max_length=30, choices=Kind)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    signature = models.ForeignKey(
        "signatures.Signature", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rsvp = models.ForeignKey(
        "events.RSVP", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invitation = models.ForeignKey(
        "accounts.Invitation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_encrypted = models.TextField(blank=True, editable=False)
    language = models.CharField(max_length=10, default="en")
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_by = models.CharField(max_length=40, blank=True, editable=False)
    last_error = models.CharField(max_length=300, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outgoing e-mail")
        verbose_name_plural = _("outgoing e-mails")
        constraints = [
            models.CheckConstraint(
                name="outbox_status_valid",
                condition=Q(
                    status__in=["queued", "sending", "retry", "sent", "failed", "withheld", "held"]
                ),
            ),
            # Invariant 4 of the brief: a finished message keeps no address.
            models.CheckConstraint(
                name="outbox_finished_has_no_recipient",
                condition=Q(status__in=["queued", "sending", "retry", "held"])
                | Q(recipient_encrypted=""),
            ),
        ]
        indexes = [
            # due_messages(): the sender and the housekeeping sweep look for due work.
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx"),
            # The repeat-mail throttle looks up recent mail per signature.
            models.Index(fields=["signature", "sent_at"], name="outbox_signature_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.status})"


class Undeliverable(models.Model):
    """An address the mail provider reported as bouncing or complaining: mailed no more.

    Only the keyed hash of the canonical address (lib.emails, under
    SIGNER_HASH_KEY: the same hash as a signature's or an RSVP's), never the
    address; the sender withholds every message whose recipient hashes to
    one of these (docs/mail.md).
    """

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("hard bounce")
        COMPLAINED = "complained", _("spam complaint")

    email_hash = models.CharField(max_length=64, unique=True, editable=False)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason)
    # Which provider said so (the anymail ESP name), and when.
    provider = models.CharField(_("provider"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("undeliverable address")
        verbose_name_plural = _("undeliverable addresses")
        constraints = [
            models.CheckConstraint(
                name="undeliverable_reason_valid", condition=Q(reason__in=["bounced", "complained"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email_hash[:12]} ({self.reason})"
