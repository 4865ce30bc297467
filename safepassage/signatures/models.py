from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safepassage.campaigns.models import Organisation, Petition
from safepassage.signatures.embeds import EmbedOrigin
from safepassage.signatures.guards import LimitCounter, UsedChallenge
from safepassage.signatures.paper import PaperDuplicate, PaperTally

__all__ = [
    "CampaignStats", "EmbedOrigin", "Erasure", "LimitCounter", "ModerationAction",
    "ModerationEntry",
    "PaperDuplicate", "PaperTally", "Signature", "SignatureQuerySet", "UsedChallenge",
]  # fmt: skip


class SignatureQuerySet(models.QuerySet["Signature"]):
    def counted(self) -> SignatureQuerySet:
        """Signatures that count: confirmed by e-mail and not held for review."""
        return self.filter(status=Signature.Status.CONFIRMED, review_reason="")


class Signature(models.Model):
    """One person's signature of one petition.

    The e-mail address itself is not a column: only its keyed hash (for the
    one-signature-per-person constraint) and, when the signer agreed to be
    contacted, an encrypted copy. A paper signature without an address has a
    row key of its own in place of the hash (``channel``; signatures/paper.py).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for e-mail confirmation")
        CONFIRMED = "confirmed", pgettext_lazy("signature status", "confirmed")

    class Contact(models.TextChoices):
        COUNT_ONLY = "count", _("Only count my signature")
        UPDATES = "updates", _("Also send me updates about this campaign")
        CONTACT = "contact", _("Also let the coalition contact me")

    class Channel(models.TextChoices):
        ONLINE = "online", _("signed online")
        IMPORT = "import", _("imported from another online list")
        # Collected on paper (safepassage.signatures.paper): who collected it and where.
        PAPER = "paper", _("collected on paper")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="signatures")
    status = models.CharField(max_length=10, choices=Status, default=Status.PENDING)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    city = models.CharField(_("city"), max_length=100)
    # An ISO 3166-2 code where the country has subdivisions, else what the signer typed.
    region = models.CharField(_("state or province"), max_length=100)
    country = models.CharField(_("country"), max_length=2)
    # False: the signature is only counted; name, city and region never reach a mission.
    publish_name = models.BooleanField(_("name may be handed to the missions"))
    contact = models.CharField(_("contact choice"), max_length=10, choices=Contact)
    email_hash = models.CharField(max_length=64, editable=False)
    email_encrypted = models.TextField(blank=True, editable=False)
    language = models.CharField(max_length=10, default="en")
    consent_version = models.CharField(max_length=20)
    consent_hash = models.CharField(max_length=64)
    # Keyed hash of the client's address (signatures/tokens.py); null once housekeeping
    # has dropped it, IP_HASH_RETENTION_DAYS after signing ("" when none was known).
    ip_hash = models.CharField(max_length=64, blank=True, null=True, editable=False)  # noqa: DJ001
    # Non-empty: held for an organiser's review and not counted (throttled, look-alike domain).
    review_reason = models.CharField(_("held for review because"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    confirmed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Blank: signed online. Otherwise where an imported signature was collected,
    # e.g. "paper: Washington vigil 2026" (safepassage.exports.importer).
    source = models.CharField(_("source"), max_length=200, blank=True, editable=False)
    channel = models.CharField(
        _("channel"), max_length=6, choices=Channel, default=Channel.ONLINE, editable=False
    )
    # Paper signatures only: the partner who collected it, the sheet or page it is on.
    collected_by = models.CharField(_("collected by"), max_length=200, blank=True, editable=False)
    sheet = models.CharField(_("sheet or page"), max_length=100, blank=True, editable=False)
    # Signed online through a partner's embedded form (signatures/embeds.py): that partner.
    embed_partner = models.ForeignKey(
        Organisation, models.SET_NULL, null=True, blank=True, editable=False, related_name="+"
    )
    # True: still counted, but name, city and region never go into a packet; set
    # and cleared only through moderation (safepassage.signatures.moderation).
    name_withheld = models.BooleanField(_("name withheld by moderation"), default=False)
    # Keyed hash of the canonical e-mail domain (services.hash_domain), so organisers
    # can invalidate a flood from one domain without plain domains in the table.
    # Blank for rows signed before it existed.
    email_domain_hash = models.CharField(max_length=64, blank=True, editable=False)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        constraints = [
            # Invariant 1 of the brief: one signature per person per petition.
            models.UniqueConstraint(
                fields=["petition", "email_hash"], name="signature_one_per_person"
            ),
            models.CheckConstraint(
                name="signature_status_valid", condition=Q(status__in=["pending", "confirmed"])
            ),
            models.CheckConstraint(
                name="signature_confirmed_has_time",
                condition=Q(status="pending", confirmed_at__isnull=True)
                | Q(status="confirmed", confirmed_at__isnull=False),
            ),
            models.CheckConstraint(
                name="signature_contact_valid",
                condition=Q(contact__in=["count", "updates", "contact"]),
            ),
            # Invariant 4: an address is kept only for signers who agreed to be contacted.
            models.CheckConstraint(
                name="signature_email_only_with_consent",
                condition=Q(email_encrypted="") | ~Q(contact="count"),
            ),
            models.CheckConstraint(
                name="signature_hash_length", condition=Exact(Length("email_hash"), 64)
            ),
            # Online rows have no source; imported and paper rows name theirs and were
            # confirmed by the organiser's declaration; only paper rows say who
            # collected them (and must), and on which sheet.
            models.CheckConstraint(
                name="signature_channel_valid",
                condition=Q(channel="online", source="")
                | Q(channel__in=["import", "paper"], status="confirmed") & ~Q(source=""),
            ),
            models.CheckConstraint(
                name="signature_paper_collected_by",
                condition=Q(channel="paper") & ~Q(collected_by="")
                | ~Q(channel="paper") & Q(collected_by="", sheet=""),
            ),
            models.CheckConstraint(
                name="signature_embed_online",
                condition=Q(embed_partner__isnull=True) | Q(channel="online"),
            ),
        ]
        indexes = [
            # counter.confirmed_count() and every per-petition count.
            models.Index(
                fields=["petition", "status", "review_reason"], name="signature_count_idx"
            ),
            # expire_unconfirmed() scans pending rows by age.
            models.Index(fields=["status", "created_at"], name="signature_expiry_idx"),
            # The routing sweep reads a petition's confirmed signatures in key order,
            # those without a route (directory.SignatureRoute) or all of them.
            models.Index(
                fields=["petition", "id"],
                condition=Q(status="confirmed"),
                name="signature_confirmed_idx",
            ),
            # moderation.invalidate(domain=...) finds one domain's signatures of a petition.
            models.Index(fields=["petition", "email_domain_hash"], name="signature_domain_idx"),
            # Paper signatures (few): their totals per partner and the duplicate search.
            models.Index(
                fields=["petition", "collected_by"],
                condition=Q(channel="paper"),
                name="signature_paper_idx",
            ),
            # The live counter adds the signatures confirmed since the worker's last
            # count (signatures.counter): a short range of this index, never the table.
            models.Index(
                fields=["petition", "confirmed_at"],
                condition=Q(status="confirmed", review_reason=""),
                name="signature_counted_since_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.petition.slug} #{self.pk}"

    def is_expired(self, now: datetime | None = None) -> bool:
        """Pending for longer than SIGNATURE_CONFIRM_DAYS: no longer confirmable."""
        if self.status != self.Status.PENDING:
            return False
        limit = timedelta(days=settings.SIGNATURE_CONFIRM_DAYS)
        return self.created_at < (now or timezone.now()) - limit


class Erasure(models.Model):
    """Tombstone of a withdrawn signature: only the keyed hash and when.

    Also kept outside the database, in the erasure log (``erasurelog``):
    ``manage.py restore`` replays it onto an older backup, deleting again
    every signature erased since, so a withdrawal is never undone.
    """

    class Reason(models.TextChoices):
        WITHDRAWN = "withdrawn", _("withdrawn by the signer")
        ORGANISER = "organiser", _("erased by an organiser")

    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="erasures")
    email_hash = models.CharField(max_length=64)
    reason = models.CharField(max_length=10, choices=Reason)
    erased_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("erasure")
        verbose_name_plural = _("erasures")
        indexes = [models.Index(fields=["petition", "email_hash"], name="erasure_lookup_idx")]

    def __str__(self) -> str:
        return f"{self.petition_id}:{self.email_hash[:12]}"


MODERATION_MARKER = "invalidated by moderation #"


class ModerationAction(models.Model):
    """One organiser decision about many signatures, kept so it can be explained and undone.

    Which signatures it touched, and what they were before, is in its
    ModerationEntry rows; reversing restores exactly that, once.
    """

    class Kind(models.TextChoices):
        HIDE_NAMES = "hide_names", _("names withheld from packets")
        UNHIDE_NAMES = "unhide_names", _("names handed over again")
        INVALIDATE = "invalidate", _("signatures invalidated")

    petition = models.ForeignKey(
        Petition, on_delete=models.CASCADE, related_name="moderation_actions"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    # What selected the signatures: {"domain_hash", "domain_label"}, {"ip_hash"},
    # {"from", "to"} (ISO times), {"signature_ids": [...]}; never an e-mail address.
    criteria = models.JSONField(_("criteria"), default=dict, blank=True)
    reason = models.CharField(_("reason"), max_length=500)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    affected = models.PositiveIntegerField(_("signatures affected"), default=0)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reversed by"),
    )
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)

    # Not stored: what the action (or its reversal) left the organiser to do, as the
    # receivers of signals.signatures_moderated answered; set by moderation.py on the
    # instance it acted on, shown by the moderation page.
    notes: tuple[str, ...] = ()

    class Meta:
        verbose_name = _("moderation action")
        verbose_name_plural = _("moderation actions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(name="moderation_reason_given", condition=~Q(reason="")),
            models.CheckConstraint(
                name="moderation_kind_valid",
                condition=Q(kind__in=["hide_names", "unhide_names", "invalidate"]),
            ),
            # reversed_by may be emptied when the account is deleted; reversed_at stays.
            models.CheckConstraint(
                name="moderation_reversal_has_time",
                condition=Q(reversed_by__isnull=True) | Q(reversed_at__isnull=False),
            ),
        ]
        indexes = [
            # The moderation page lists a campaign's actions, newest first.
            models.Index(fields=["petition", "-created_at"], name="moderation_recent_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.affected})"

    @property
    def marker(self) -> str:
        """The review reason an invalidation gives its signatures (at most 100 characters)."""
        return f"{MODERATION_MARKER}{self.pk}"

    @property
    def reversed(self) -> bool:
        return self.reversed_at is not None


class ModerationEntry(models.Model):
    """One signature touched by an action, with what it was before, for exact reversal."""

    action = models.ForeignKey(ModerationAction, on_delete=models.CASCADE, related_name="entries")
    # An erased signature takes its entries with it: nothing personal outlives erasure.
    signature = models.ForeignKey(Signature, on_delete=models.CASCADE, related_name="+")
    previous_review_reason = models.CharField(max_length=100, blank=True)
    previous_name_withheld = models.BooleanField()

    class Meta:
        verbose_name = _("moderation entry")
        verbose_name_plural = _("moderation entries")
        constraints = [
            models.UniqueConstraint(fields=["action", "signature"], name="moderation_entry_once"),
        ]

    def __str__(self) -> str:
        return f"{self.action_id}:{self.signature_id}"


class CampaignStats(models.Model):
    """Cached aggregates of a campaign's signatures, read by the public pages.

    Counting a million signatures per page view is what the public pages must
    never do: the worker refreshes one row per open campaign
    (reports.stats.refresh_all_stats, every housekeeping round) and the pages,
    the live counter (counter.py) and the directory's map read only that row.
    """

    campaign = models.OneToOneField(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="stats",
        verbose_name=_("campaign"),
    )
    # Counted online signatures: confirmed and not held for review (tallies.counted).
    total = models.PositiveIntegerField(_("counted signatures"), default=0)
    # {ISO alpha-2: count}
    by_country = models.JSONField(_("signatures by country"), default=dict)
    # {mission pk as a string: count}; signatures not routed to a mission are left out.
    by_mission = models.JSONField(_("signatures by mission"), default=dict)
    # {petition pk as a string: count}: the server-side figure of each petition's counter.
    by_petition = models.JSONField(_("signatures by petition"), default=dict)
    # {petition pk: {"countries": {ISO alpha-2: count}, "missions": {mission pk or "": count}}};
    # "" counts signatures not routed to a mission. What the API's counts serve.
    breakdown = models.JSONField(_("signatures by petition, country and mission"), default=dict)
    # by_petition counts the signatures confirmed before this moment; the live
    # counter adds those confirmed since (signatures.counter).
    counted_until = models.DateTimeField(_("petitions counted until"), null=True, blank=True)
    # {"YYYY-MM-DD" (UTC date of confirmation): count}
    per_day = models.JSONField(_("signatures per day"), default=dict)
    countries = models.PositiveIntegerField(_("countries"), default=0)
    missions_reached = models.PositiveIntegerField(_("missions reached"), default=0)
    # Legacy paper tallies (PaperTally): counts without names, apart from ``total``.
    paper = models.PositiveIntegerField(_("paper signatures counted apart"), default=0)
    # Counted paper signatures (channel "paper"): part of ``total``.
    on_paper = models.PositiveIntegerField(_("paper signatures with names"), default=0)
    # {collected by: count} over on_paper and paper together (tallies by their source).
    by_collector = models.JSONField(_("paper signatures by who collected them"), default=dict)
    # {organisation pk: count} of counted signatures made through partners' embedded forms.
    by_embed_partner = models.JSONField(_("signatures by embedding partner"), default=dict)
    # Confirmation mails the provider reported as hard bounces (signatures/bounces.py):
    # counted as the reports arrive, never recounted by refresh_stats.
    confirm_bounces = models.PositiveIntegerField(_("confirmation mails bounced"), default=0)
    refreshed_at = models.DateTimeField(_("refreshed"), default=timezone.now)

    class Meta:
        # Made by the reports app, where the model was first: the table keeps its name.
        db_table = "reports_campaignstats"
        verbose_name = _("campaign statistics")
        verbose_name_plural = _("campaign statistics")

    def __str__(self) -> str:
        return f"{self.campaign_id}: {self.total}"

    @property
    def unrouted(self) -> int:
        """Counted signatures not (yet) assigned to a mission."""
        return max(0, self.total - sum(int(n) for n in self.by_mission.values()))

    @property
    def grand_total(self) -> int:
        """Online and paper signatures together."""
        return self.total + self.paper

    def collectors(self) -> list[list[str | int]]:
        """[[collected by, count], ...], largest first: the paper total by who collected it."""
        rows = sorted(self.by_collector.items(), key=lambda item: (-int(item[1]), item[0]))
        return [[name, int(n)] for name, n in rows]

    @property
    def paper_total(self) -> int:
        """Every signature collected on paper: with names (in ``total``) and legacy counts."""
        return self.on_paper + self.paper
