from __future__ import annotations

import time
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from safepassage.campaigns.signals import campaign_opening
from safepassage.lib import geo
from safepassage.lib.localised import ShownInLanguages, localised_copy, written_for
from safepassage.lib.markdown import render_markdown


def validate_country_code(value: str) -> None:
    if value not in geo.country_codes():
        raise ValidationError(
            _("%(value)s is not an ISO 3166-1 country code."), params={"value": value}
        )


class Organisation(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    website = models.URLField(_("website"), blank=True)
    postal_address = models.TextField(_("postal address"), blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    email = models.EmailField(_("public contact e-mail"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Campaign(ShownInLanguages):
    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        ARCHIVED = "archived", _("archived")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    year = models.PositiveSmallIntegerField(_("year"))
    day_of_action = models.DateField(_("day of action"))
    target_person = models.CharField(_("target person"), max_length=200)
    target_title = models.CharField(_("target's title"), max_length=200)
    target_government = models.CharField(
        _("target government"),
        max_length=2,
        validators=[validate_country_code],
        help_text=_(
            "ISO 3166-1 alpha-2 code of the government whose missions receive the petition."
        ),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("member organisations"), related_name="campaigns", blank=True
    )
    letters_four_eyes = models.BooleanField(
        _("four-eyes approval of letters"),
        default=False,
        help_text=_(
            "When on, whoever wrote a version of a letter cannot approve it: another "
            "organiser must. Leave it off only if the campaign has a single organiser."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-year", "title"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(
                name="campaign_status_valid",
                condition=Q(status__in=["draft", "open", "closed", "archived"]),
            ),
            models.CheckConstraint(
                name="campaign_year_plausible", condition=Q(year__gte=1900, year__lte=2200)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})"

    def own_language(self) -> str:
        """The language the campaign's own title and addressee are written in."""
        petition = self.petitions.order_by("pk").first() if self.pk else None
        return petition.default_language if petition else settings.LANGUAGE_CODE

    def in_language(self, language: str | None) -> Campaign:
        """The campaign as a reader of ``language`` sees it: a read-only copy with the title
        and addressee written for that language (CampaignText), or itself when none is."""
        text = written_for(self.texts.all(), language)
        return localised_copy(self, text, LOCALISED_FIELDS)

    def missing_languages(self) -> list[str]:
        """The site's languages with no title and addressee written for them yet."""
        written = {text.language for text in self.texts.all()} | {self.own_language()}
        return [code for code, _name in settings.LANGUAGES if code not in written]

    def clean(self) -> None:
        if self.day_of_action and self.year and self.day_of_action.year != self.year:
            raise ValidationError(
                {"day_of_action": _("The day of action must fall in the campaign's year.")}
            )
        if self.status == self.Status.OPEN and not self.was_open():
            problems = self.opening_problems()
            if problems:
                raise ValidationError({"status": problems})

    def was_open(self) -> bool:
        """Whether the stored campaign is open already (opening checks run on the way in)."""
        if self.pk is None:
            return False
        stored = Campaign.objects.filter(pk=self.pk).values_list("status", flat=True).first()
        return stored == self.Status.OPEN

    def opening_problems(self) -> list[str]:
        """Why the campaign cannot open for signing yet; empty when it can.

        Each petition needs its text in its default language; the apps above
        add theirs through ``campaign_opening`` (the directory: an open
        mission of the target government to deliver to).
        """
        problems: list[str] = []
        petitions = list(self.petitions.prefetch_related("texts")) if self.pk else []
        if not petitions:
            problems.append(gettext("Add a petition to the campaign first."))
        for petition in petitions:
            languages = {text.language for text in petition.texts.all()}
            if petition.default_language not in languages:
                problems.append(
                    gettext(
                        "The petition %(petition)s has no text in its default language "
                        "(%(language)s): add one on the petition's page."
                    )
                    % {"petition": petition.slug, "language": petition.default_language}
                )
        for _receiver, answer in campaign_opening.send(sender=Campaign, campaign=self):
            problems.extend(answer or [])
        return problems

    def open_for_signing(self) -> None:
        """Open the campaign, or raise ValidationError saying what is missing."""
        problems = [] if self.was_open() else self.opening_problems()
        if problems:
            raise ValidationError(problems)
        self.status = self.Status.OPEN
        self.save(update_fields=["status"])


def count_cache_key(petition_id: int) -> str:
    """Where the live counter (signatures.counter) is cached; dropped when a count or the goal
    changes."""
    return f"petition:{petition_id}:counter"


class PetitionQuerySet(models.QuerySet["Petition"]):
    def public(self) -> PetitionQuerySet:
        """Petitions a visitor may see: their campaign is no longer a draft."""
        return self.exclude(campaign__status=Campaign.Status.DRAFT)


class Petition(models.Model):
    class BotChallenge(models.TextChoices):
        """When the signing form asks for proof of work (signatures.botcheck)."""

        OFF = "off", _("off")
        ALWAYS = "always", _("always on")
        AUTOMATIC = "automatic", _("on during a surge of signatures")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="petitions")
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    signature_goal = models.PositiveIntegerField(_("signature goal"), default=0)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    default_language = models.CharField(
        _("default language"), max_length=10, choices=settings.LANGUAGES, default="en"
    )
    bot_challenge = models.CharField(
        _("bot challenge"),
        max_length=10,
        choices=BotChallenge,
        default=BotChallenge.AUTOMATIC,
        help_text=_(
            "Proof of work and a hidden field against bots. Submissions without a solved"
            " challenge are stored but held for review, and their mail waits for it."
        ),
    )

    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["campaign", "slug"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(
                name="petition_closes_after_opening",
                condition=Q(opens_at__isnull=True)
                | Q(closes_at__isnull=True)
                | Q(closes_at__gt=models.F("opens_at")),
            ),
            models.CheckConstraint(
                name="petition_bot_challenge_valid",
                condition=Q(bot_challenge__in=["off", "always", "automatic"]),
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("signatures:sign", args=[self.slug])

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        if self.campaign.status != Campaign.Status.OPEN:
            return False
        if self.opens_at and now < self.opens_at:
            return False
        return not (self.closes_at and now >= self.closes_at)

    def in_language(self, language: str | None) -> Petition:
        """The petition with its campaign as a reader of ``language`` sees it (read only)."""
        campaign = self.campaign.in_language(language)
        if campaign is self.campaign:
            return self
        return localised_copy(self, None, (), related={"campaign": campaign})

    def text(self, language: str | None = None) -> PetitionText | None:
        """The text in the requested language, else the default language, else any."""
        texts = {t.language: t for t in self.texts.all()}
        language = (language or get_language() or self.default_language).lower()
        for candidate in (language, language.split("-")[0], self.default_language):
            if candidate in texts:
                return texts[candidate]
        return next(iter(texts.values()), None)


PETITION_CACHE_SECONDS = 10
# Each process also keeps the petition it last read for a moment: unpickling
# it from the cache took a sixth of a signing request's time. A change made
# in another process reaches this one within this many seconds.
PETITION_MEMO_SECONDS = 1.0
_petition_memo: dict[str, tuple[Petition, float]] = {}


def forget_remembered_petitions() -> None:
    _petition_memo.clear()


def petition_cache_key(slug: str) -> str:
    return f"petition:slug:{slug}"


def petition_id_cache_key(slug: str) -> str:
    return f"petition:slug-id:{slug}"


def public_petition(slug: str) -> Petition | None:
    """A public petition with its campaign and texts, from the cache when possible.

    Every signing request needs it; reading it from the database each time
    costs more than the rest of the lookup. Saving a petition, its texts or
    its campaign drops the cached copy (see the signal handlers below).
    """
    memo = _petition_memo.get(slug)
    if memo is not None and memo[1] > time.monotonic():
        return memo[0]
    key = petition_cache_key(slug)
    petition = cache.get(key)
    if petition is None:
        petition = (
            Petition.objects.public()
            .select_related("campaign")
            .prefetch_related("texts", "campaign__texts")
            .filter(slug=slug)
            .first()
        )
        if petition is None:
            return None
        cache.set(key, petition, PETITION_CACHE_SECONDS)
    assert isinstance(petition, Petition)
    _petition_memo[slug] = (petition, time.monotonic() + PETITION_MEMO_SECONDS)
    return petition


class PetitionText(models.Model):
    petition = models.ForeignKey(Petition, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=300)
    body = models.TextField(_("text (Markdown)"))

    class Meta:
        ordering = ["petition", "language"]
        verbose_name = _("petition text")
        verbose_name_plural = _("petition texts")
        constraints = [
            models.UniqueConstraint(
                fields=["petition", "language"], name="petition_text_one_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.language}]"

    def body_html(self) -> str:
        return render_markdown(self.body)


# What a campaign says to its readers that is written for each language (CampaignText).
LOCALISED_FIELDS = ("title", "target_title", "target_person")


class CampaignText(models.Model):
    """The campaign's title and addressee in one more language.

    The campaign's own fields are in its own language (its first petition's default);
    pages, mail and share cards in another language show these instead where written.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    title = models.CharField(_("title"), max_length=200)
    target_title = models.CharField(_("target's title"), max_length=200)
    target_person = models.CharField(_("target person"), max_length=200)

    class Meta:
        ordering = ["campaign", "language"]
        verbose_name = _("campaign title in another language")
        verbose_name_plural = _("campaign titles in other languages")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "language"], name="campaign_text_one_per_language"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.language}]"


@receiver([post_save, post_delete], sender=Petition)
@receiver([post_save, post_delete], sender=PetitionText)
@receiver([post_save, post_delete], sender=Campaign)
@receiver([post_save, post_delete], sender=CampaignText)
def _forget_cached_petitions(
    sender: type[models.Model], instance: models.Model, **kwargs: object
) -> None:
    if isinstance(instance, Campaign):
        slugs = list(instance.petitions.values_list("slug", flat=True))
    elif isinstance(instance, CampaignText):
        slugs = list(
            Petition.objects.filter(campaign=instance.campaign_id).values_list("slug", flat=True)
        )
    elif isinstance(instance, PetitionText):
        slugs = list(
            Petition.objects.filter(pk=instance.petition_id).values_list("slug", flat=True)
        )
    else:
        assert isinstance(instance, Petition)
        slugs = [instance.slug]
        cache.delete(count_cache_key(instance.pk))  # the counter shows the goal
    forget_cached_petitions(slugs)


def forget_cached_petitions(slugs: list[str]) -> None:
    """Drop this process's and the cache's copies of these petitions.

    Saving through the ORM does it (the handler above); call it after writes
    that send no signal, such as ``bulk_create``.
    """
    for slug in slugs:
        _petition_memo.pop(slug, None)
    cache.delete_many(
        [petition_cache_key(slug) for slug in slugs]
        + [petition_id_cache_key(slug) for slug in slugs]
    )
