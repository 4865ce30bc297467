"""Letterheads, letters with their versions and signatories, and supporting documents.

A campaign has a sample letter (``organisation`` empty); each partner
organisation may fork it into its own version, edited in the browser. Every
save makes a new, immutable ``LetterVersion``; an organiser approves one
version, and only approved versions are printed into delivery packets.
Letter bodies are Markdown with merge fields (``safepassage.letters.merge``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from safepassage.campaigns.models import Campaign, Organisation
from safepassage.lib.storage import private_storage


class Letterhead(models.Model):
    """How an organisation's letters look: an uploaded PDF or a designed head."""

    class Kind(models.TextChoices):
        UPLOADED = "uploaded", _("uploaded PDF letterhead")
        DESIGNED = "designed", _("designed letterhead")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="letterheads"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind)
    # Uploaded: page one's background, and optionally one for the pages after it.
    first_page = models.FileField(
        _("first page (PDF)"), upload_to="letterheads/", blank=True, storage=private_storage
    )
    later_pages = models.FileField(
        _("later pages (PDF)"), upload_to="letterheads/", blank=True, storage=private_storage
    )
    # Designed: the organisation's logo, name, address, phone and website, plus these.
    show_logo = models.BooleanField(_("show the logo"), default=True)
    footer_lines = models.TextField(
        _("footer lines"), blank=True, help_text=_("For example the board, one name per line.")
    )
    accent_colour = models.CharField(_("accent colour"), max_length=7, default="#1f3b63")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("letterhead")
        verbose_name_plural = _("letterheads")
        ordering = ["organisation__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="letterhead_name_once"),
            models.CheckConstraint(
                name="letterhead_kind_valid", condition=Q(kind__in=["uploaded", "designed"])
            ),
            models.CheckConstraint(
                name="letterhead_uploaded_has_pdf",
                condition=Q(kind="designed") | ~Q(first_page=""),
            ),
            models.CheckConstraint(
                name="letterhead_colour_hex", condition=Q(accent_colour__regex=r"^#[0-9a-fA-F]{6}$")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation.name}: {self.name}"


class SupportingDocument(models.Model):
    """A PDF the campaign hands over with its letters (an inquiry's letter, a flyer)."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="supporting_documents"
    )
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(_("language"), max_length=10)
    file = models.FileField(_("file (PDF)"), upload_to="supporting/", storage=private_storage)
    sha256 = models.CharField(max_length=64, editable=False)
    pages = models.PositiveIntegerField(_("pages"), default=0, editable=False)
    public = models.BooleanField(_("show on the campaign page"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")
        ordering = ["campaign", "title", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "title", "language"], name="supporting_document_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class Letter(models.Model):
    """A campaign's sample letter, or one partner organisation's own version of it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="letters")
    # Empty: the campaign's sample letter.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="letters"
    )
    forked_from = models.ForeignKey(
        "LetterVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="forks"
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    letterhead = models.ForeignKey(
        Letterhead, on_delete=models.SET_NULL, null=True, blank=True, related_name="letters"
    )
    attachments = models.ManyToManyField(
        SupportingDocument, blank=True, related_name="letters", verbose_name=_("attachments")
    )
    # The version printed into packets; set by an organiser's approval.
    approved_version = models.ForeignKey(
        "LetterVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    in_packets = models.BooleanField(_("include in delivery packets"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["campaign", "organisation__name", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "organisation", "language"],
                name="letter_once_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["campaign", "language"],
                condition=Q(organisation__isnull=True),
                name="sample_letter_once",
            ),
        ]

    def __str__(self) -> str:
        who = self.organisation.name if self.organisation else _("sample letter")
        return f"{self.campaign.slug}: {who} ({self.language})"

    @property
    def is_sample(self) -> bool:
        return self.organisation_id is None

    def latest_version(self) -> LetterVersion | None:
        return self.versions.order_by("-number").first()


class LetterVersion(models.Model):
    """One saved state of a letter; never changed after it is made."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("waiting for approval")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("changes requested")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text (Markdown with merge fields)"))
    closing = models.CharField(_("closing"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(_("note from the reviewer"), blank=True)

    class Meta:
        verbose_name = _("letter version")
        verbose_name_plural = _("letter versions")
        ordering = ["letter", "number"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "number"], name="letter_version_once"),
            models.CheckConstraint(name="letter_version_positive", condition=Q(number__gte=1)),
            models.CheckConstraint(
                name="letter_version_status_valid",
                condition=Q(status__in=["draft", "submitted", "approved", "rejected"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter} v{self.number}"


class Signatory(models.Model):
    """A person who signs a letter version, in order, with an optional scanned signature."""

    version = models.ForeignKey(LetterVersion, on_delete=models.CASCADE, related_name="signatories")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(pgettext_lazy("a person's job", "title"), max_length=200, blank=True)
    signature_image = models.ImageField(
        _("scanned signature"), upload_to="signatures/", blank=True, storage=private_storage
    )

    class Meta:
        verbose_name = _("signatory")
        verbose_name_plural = _("signatories")
        ordering = ["version", "position", "pk"]

    def __str__(self) -> str:
        return self.name
