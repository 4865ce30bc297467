"""Delivery packets: one PDF per mission, built in bulk by background tasks.

A ``PacketBuild`` fixes the snapshot it works from (the signatures confirmed
up to ``snapshot_at`` with ids up to ``max_signature_id``, the approved letter
versions, the moderation state at build time) so that a build interrupted
and resumed, or repeated on the same data, gives byte-identical packets.
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
    letter_versions = models.ManyToManyField("letters.LetterVersion", blank=True, related_name="+")
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

    class Meta:
        verbose_name = _("packet")
        verbose_name_plural = _("packets")
        ordering = ["build", "mission__host_country", "mission__city", "mission__key"]
        constraints = [
            models.UniqueConstraint(fields=["build", "mission"], name="packet_once_per_build"),
            models.CheckConstraint(
                name="packet_status_valid", condition=Q(status__in=["pending", "done", "failed"])
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
