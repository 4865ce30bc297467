"""Corrections to the directory proposed by the team, and what an organiser verified.

A coordinator (for the missions assigned to them) or a partner organisation's
editor (for any mission of their campaign's target government) proposes
values for some fields of a mission, with one piece of evidence: a source URL
and its date, a photo (cleaned of its metadata, kept in private storage), or
"seen in person on DATE". An organiser accepts the values field by field,
rejects them with a reason or asks for more; each accepted value is written
into the mission (its history names the organiser) and recorded as a
``MissionFieldVerification`` with its source, who verified it and when.

Who proposed is shown to organisers only (directory/verification.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safepassage.lib.storage import private_storage


class Field(models.TextChoices):
    """The fields of a mission that the team may propose."""

    POSTAL_ADDRESS = "postal_address", _("postal address")
    POSTCODE = "postcode", _("postcode")
    COORDINATES = "coordinates", _("coordinates")
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    WEBSITE = "website", _("website")
    DELIVERY_HOURS = "delivery_hours", _("opening hours for deliveries")
    ACCESSIBILITY = "accessibility", _("accessibility notes for a vigil")
    CLOSED = "closed", _("closed or moved")


FIELD_VALUES = [choice.value for choice in Field]


class Proposal(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("proposal status", "open")
        MORE = "more", _("more information asked")
        DECIDED = "decided", _("decided")
        REJECTED = "rejected", _("rejected")

    class Evidence(models.TextChoices):
        URL = "url", _("source URL")
        PHOTO = "photo", _("photo")
        SEEN = "seen", _("seen in person")

    mission = models.ForeignKey(
        "directory.Mission", on_delete=models.CASCADE, related_name="proposals"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="directory_proposals"
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.OPEN)
    evidence = models.CharField(_("evidence"), max_length=10, choices=Evidence)
    source_url = models.URLField(_("source URL"), max_length=500, blank=True)
    # The date of the source, or the day the proposer saw the mission.
    source_date = models.DateField(_("date"), null=True, blank=True)
    photo = models.FileField(
        _("photo"), upload_to="directory-evidence/%Y/", blank=True, storage=private_storage
    )
    comment = models.TextField(_("comment"), blank=True)
    reason = models.TextField(_("reason or question"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("directory proposal")
        verbose_name_plural = _("directory proposals")
        constraints = [
            models.CheckConstraint(
                name="proposal_status_valid",
                condition=Q(status__in=["open", "more", "decided", "rejected"]),
            ),
            models.CheckConstraint(
                name="proposal_evidence_complete",
                condition=Q(evidence="url", source_url__gt="", source_date__isnull=False)
                | Q(evidence="photo", photo__gt="")
                | Q(evidence="seen", source_date__isnull=False),
            ),
            models.CheckConstraint(
                name="proposal_refusal_has_reason",
                condition=~Q(status__in=["more", "rejected"]) | Q(reason__gt=""),
            ),
            models.CheckConstraint(
                name="proposal_decision_has_decider",
                condition=Q(status__in=["open", "more"])
                | Q(decided_at__isnull=False, decided_by__isnull=False),
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status"], name="proposal_queue_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.mission}"

    def evidence_text(self) -> str:
        """The evidence in words, as it is recorded with an accepted value."""
        when = self.source_date.isoformat() if self.source_date else ""
        photo = str(_(", with a photo (proposal #%(pk)s)") % {"pk": self.pk}) if self.photo else ""
        if self.evidence == self.Evidence.URL:
            return f"{self.source_url} ({when}){photo}"
        if self.evidence == self.Evidence.PHOTO:
            taken = f", {when}" if when else ""
            return str(_("photo (proposal #%(pk)s%(taken)s)") % {"pk": self.pk, "taken": taken})
        return str(_("seen in person on %(date)s") % {"date": when}) + photo


class ProposedValue(models.Model):
    """One field's proposed value and what the organiser decided about it."""

    class Decision(models.TextChoices):
        OPEN = "open", pgettext_lazy("proposed value", "open")
        ACCEPTED = "accepted", pgettext_lazy("proposed value", "accepted")
        REJECTED = "rejected", pgettext_lazy("proposed value", "rejected")

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="values")
    field = models.CharField(_("field"), max_length=20, choices=Field)
    value = models.TextField(_("value"))
    decision = models.CharField(
        _("decision"), max_length=10, choices=Decision, default=Decision.OPEN
    )

    class Meta:
        ordering = ["proposal", "pk"]
        verbose_name = _("proposed value")
        verbose_name_plural = _("proposed values")
        constraints = [
            models.UniqueConstraint(fields=["proposal", "field"], name="proposed_value_once"),
            models.CheckConstraint(
                name="proposed_value_field_valid", condition=Q(field__in=FIELD_VALUES)
            ),
            models.CheckConstraint(
                name="proposed_value_decision_valid",
                condition=Q(decision__in=["open", "accepted", "rejected"]),
            ),
            models.CheckConstraint(name="proposed_value_not_empty", condition=Q(value__gt="")),
        ]

    def __str__(self) -> str:
        return f"{self.get_field_display()}: {self.value}"


class MissionFieldVerification(models.Model):
    """A value of a mission's field, with its source, who verified it and when."""

    mission = models.ForeignKey(
        "directory.Mission", on_delete=models.CASCADE, related_name="verifications"
    )
    field = models.CharField(_("field"), max_length=20, choices=Field)
    value = models.TextField(_("value"))
    source = models.TextField(_("source"))
    source_date = models.DateField(_("date of the source"), null=True, blank=True)
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="verifications"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"))

    class Meta:
        ordering = ["mission", "field", "-verified_at", "-pk"]
        verbose_name = _("verified field")
        verbose_name_plural = _("verified fields")
        constraints = [
            models.CheckConstraint(name="verification_sourced", condition=Q(source__gt="")),
            models.CheckConstraint(
                name="verification_field_valid", condition=Q(field__in=FIELD_VALUES)
            ),
        ]
        indexes = [
            models.Index(fields=["mission", "field", "verified_at"], name="verification_idx")
        ]

    def __str__(self) -> str:
        return f"{self.mission} · {self.get_field_display()}"


class DirectoryNotice(models.Model):
    """An outbox mail of the directory: a proposal's outcome, or a reminder to check a mission.

    The reminders kept here make the reminder sweep idempotent
    (directory/freshness.py: at most one per mission and campaign per period).
    """

    class Kind(models.TextChoices):
        DECISION = "decision", _("proposal decided")
        REMINDER = "reminder", _("reminder to check a mission")

    kind = models.CharField(max_length=10, choices=Kind)
    message = models.OneToOneField(
        "outbox.Message", on_delete=models.CASCADE, related_name="directory_notice"
    )
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    mission = models.ForeignKey(
        "directory.Mission", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("directory mail")
        verbose_name_plural = _("directory mails")
        constraints = [
            models.CheckConstraint(
                name="directory_notice_shape",
                condition=Q(kind="decision", proposal__isnull=False)
                | Q(kind="reminder", mission__isnull=False, campaign__isnull=False),
            ),
        ]
        indexes = [
            models.Index(fields=["mission", "kind", "created_at"], name="directory_notice_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.message_id}"
