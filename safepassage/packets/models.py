"""Delivery packets: one PDF per mission, built in bulk by background tasks.

A ``PacketBuild`` fixes the snapshot it works from: the approved letter
versions and, as ``PacketEntry`` rows, every counted signature of the
petition with the mission it was routed to when the build started. Every
packet prints from those rows, never from the live routing, so a build
interrupted and resumed, or repeated on the same data, gives byte-identical
packets. A change that alters what a built packet would print (a reroute, a
mission closed, a withdrawal, a moderation action) marks only the packets it
affects as out of date (``Packet.stale_reason``); rebuilding them takes a
fresh snapshot for those packets alone (``packets/staleness.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safepassage.campaigns.models import Campaign, Petition
from safepassage.lib.storage import private_storage


class PacketBuild(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("building")
        PAUSED = "paused", _("interrupted")
        DONE = "done", pgettext_lazy("build status", "finished")
        FAILED = "failed", _("finished with failures")

    class Scope(models.TextChoices):
        MISSION = "mission", _("each mission's own signers")
        ALL = "all", _("all signers in every packet")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="packet_builds")
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="packet_builds")
    scope = models.CharField(
        _("signers listed"), max_length=10, choices=Scope, default=Scope.MISSION
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.RUNNING)
    snapshot_at = models.DateTimeField(_("snapshot taken"))
    max_signature_id = models.BigIntegerField(default=0)
    # Counted signatures of the petition in the snapshot, counted once for every packet.
    signature_total = models.PositiveIntegerField(default=0)
    # The letter versions printed as cover letters, fixed when the build starts.
    letter_versions = models.ManyToManyField(
        "letters.LetterVersion", blank=True, related_name="packet_builds"
    )
    total = models.PositiveIntegerField(_("packets"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True)
    zip_file = models.FileField(upload_to="packet-builds/", blank=True, storage=private_storage)
    zip_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("packet build")
        verbose_name_plural = _("packet builds")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="packet_build_status_valid",
                condition=Q(status__in=["running", "paused", "done", "failed"]),
            ),
            models.CheckConstraint(
                name="packet_build_scope_valid", condition=Q(scope__in=["mission", "all"])
            ),
        ]

    def __str__(self) -> str:
        return f"{self.campaign.slug} build {self.pk}"


class Packet(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("packet status", "waiting")
        DONE = "done", _("built")
        FAILED = "failed", _("failed")
        # Its mission closed after the build started: left out when the build was
        # brought up to date (its signers went to the missions that serve them now).
        DROPPED = "dropped", _("left out: mission closed")

    class StaleReason(models.TextChoices):
        REROUTED = "rerouted", _("signatures were routed to another mission")
        CLOSED = "closed", _("the mission was closed")
        WITHDRAWN = "withdrawn", _("a signer withdrew or was erased")
        MODERATED = "moderated", _("a moderation action changed who is listed")

    build = models.ForeignKey(PacketBuild, on_delete=models.CASCADE, related_name="packets")
    mission = models.ForeignKey(
        "directory.Mission", on_delete=models.CASCADE, related_name="packets"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PENDING)
    error = models.TextField(_("reason of failure"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="packets/", blank=True, storage=private_storage)
    sha256 = models.CharField(max_length=64, blank=True)
    pages = models.PositiveIntegerField(default=0)
    named_count = models.PositiveIntegerField(_("signers named"), default=0)
    unnamed_count = models.PositiveIntegerField(_("signers who asked not to be named"), default=0)
    withheld_count = models.PositiveIntegerField(_("names withheld by moderation"), default=0)
    total_count = models.PositiveIntegerField(_("signatures"), default=0)
    built_at = models.DateTimeField(null=True, blank=True)
    # When this packet's signatures were taken (the build's start, or when it was
    # last brought up to date), and the petition's total it prints, counted then.
    snapshot_at = models.DateTimeField(_("signatures as of"), null=True, blank=True)
    petition_total = models.PositiveIntegerField(_("signatures of the petition"), default=0)
    # Set when something changed what this packet would print since its snapshot.
    stale_reason = models.CharField(
        _("out of date because"), max_length=10, choices=StaleReason, blank=True
    )
    stale_since = models.DateTimeField(_("out of date since"), null=True, blank=True)
    # Raised whenever the packet's content is invalidated (an erasure, a moderation
    # action, a fresh snapshot): a task that started before writes nothing.
    revision = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("packet")
        verbose_name_plural = _("packets")
        ordering = ["build", "mission__host_country", "mission__city", "mission__key"]
        constraints = [
            models.UniqueConstraint(fields=["build", "mission"], name="packet_once_per_build"),
            models.CheckConstraint(
                name="packet_status_valid",
                condition=Q(status__in=["pending", "done", "failed", "dropped"]),
            ),
            models.CheckConstraint(
                name="packet_stale_reason_valid",
                condition=Q(stale_reason__in=["", "rerouted", "closed", "withdrawn", "moderated"]),
            ),
            models.CheckConstraint(
                name="packet_stale_has_since",
                condition=Q(stale_reason="", stale_since__isnull=True)
                | (~Q(stale_reason="") & Q(stale_since__isnull=False)),
            ),
            models.CheckConstraint(
                name="packet_done_has_hash",
                condition=~Q(status="done") | Q(sha256__regex=r"^[0-9a-f]{64}$"),
            ),
            models.CheckConstraint(
                name="packet_counts_add_up",
                condition=Q(
                    total_count=models.F("named_count")
                    + models.F("unnamed_count")
                    + models.F("withheld_count")
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.build}: {self.mission.key}"

    @property
    def is_stale(self) -> bool:
        return bool(self.stale_reason) and self.status != self.Status.DROPPED


class PacketEntry(models.Model):
    """One signature of a build's snapshot, with the mission it was routed to then.

    A packet of "each mission's own signers" lists the entries of its mission;
    one of "all signers" lists every entry of its build. ``mission`` is empty
    for a signature that could not be routed (counted, in no mission's list).

    Neither key is a database constraint: a signature erased, or a mission
    deleted, must not be held back by a snapshot, and the packets that printed
    it are marked out of date instead (packets/signals.py). Rows are only
    ever inserted in bulk (``snapshot.take``) and read by joins.
    """

    # Found by build through the unique (build, signature) index: an index of
    # its own would be one more to write a million times per snapshot.
    build = models.ForeignKey(
        PacketBuild, on_delete=models.CASCADE, related_name="entries", db_index=False
    )
    signature = models.ForeignKey(
        "signatures.Signature",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="packet_entries",
    )
    mission = models.ForeignKey(
        "directory.Mission",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("packet entry")
        verbose_name_plural = _("packet entries")
        constraints = [
            models.UniqueConstraint(
                fields=["build", "signature"], name="packet_entry_once_per_build"
            ),
        ]
        indexes = [
            # One mission's list of a build (snapshot.listing) and bringing it up to date.
            models.Index(fields=["build", "mission"], name="packet_entry_mission_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.build_id}: {self.signature_id} → {self.mission_id}"


class PacketDownload(models.Model):
    """Who downloaded which packet or build ZIP, and when (packets list signers).

    Written before the first byte is sent, like the export log, so an
    aborted download is audited too. ``packet`` empty: the build's ZIP.
    """

    build = models.ForeignKey(PacketBuild, on_delete=models.CASCADE, related_name="downloads")
    packet = models.ForeignKey(
        Packet, on_delete=models.CASCADE, null=True, blank=True, related_name="downloads"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("user"),
    )
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("packet download")
        verbose_name_plural = _("packet downloads")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        what = self.packet.mission.key if self.packet else "ZIP"
        return f"{self.build} · {what} · {self.created_at:%Y-%m-%d %H:%M}"


class PacketSharing(models.Model):
    """Whether partner organisations' editors may download packets, per campaign.

    Organisers always may; a city coordinator may for the missions assigned to
    them. With ``partners_may_download`` an editor of a partner organisation
    may download the packets of the missions where their organisation hosts an
    event (``packets/permissions.py``). Off unless an organiser turns it on.
    """

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="packet_sharing"
    )
    partners_may_download = models.BooleanField(
        _("partner organisations' editors may download the packets of their events' missions"),
        default=False,
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("packet sharing")
        verbose_name_plural = _("packet sharing")

    def __str__(self) -> str:
        return (
            f"{self.campaign.slug}: partners {'may' if self.partners_may_download else 'may not'}"
        )

    @classmethod
    def partners_allowed(cls, campaign_id: int) -> bool:
        return cls.objects.filter(campaign_id=campaign_id, partners_may_download=True).exists()
