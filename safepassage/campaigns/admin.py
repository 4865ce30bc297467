from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from safepassage.accounts.admin_mixins import CampaignScopedAdmin, scope_campaign_ids
from safepassage.campaigns.models import (
    Campaign,
    CampaignText,
    Organisation,
    Petition,
    PetitionText,
)
from safepassage.lib.localised import missing_languages_note


@admin.register(Organisation)
class OrganisationAdmin(CampaignScopedAdmin):
    """Organisations of the user's campaigns, and those in no campaign yet (to be linked).

    One shared with a campaign the user does not organise is read only to them.
    """

    def campaign_q(self, campaign_ids: frozenset[int]) -> Q:
        return Q(campaigns__in=campaign_ids) | Q(campaigns__isnull=True)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is None or request.user.is_superuser:
            return super().has_change_permission(request, obj)
        others = obj.campaigns.exclude(pk__in=scope_campaign_ids(request))
        return super().has_change_permission(request, obj) and not others.exists()

    list_display = ["name", "website", "phone"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class PetitionInline(admin.TabularInline[Petition, Campaign]):
    model = Petition
    extra = 0
    fields = [
        "slug",
        "signature_goal",
        "opens_at",
        "closes_at",
        "default_language",
        "bot_challenge",
    ]
    show_change_link = True


class CampaignTextInline(admin.TabularInline[CampaignText, Campaign]):
    """The title and addressee in each further language (the campaign's own are its language's)."""

    model = CampaignText
    extra = 0
    fields = ["language", "title", "target_title", "target_person"]


@admin.register(Campaign)
class CampaignAdmin(CampaignScopedAdmin):
    """A campaign's organisers change it; only superusers create or delete campaigns."""

    campaign_lookup = "pk"
    list_display = [
        "title",
        "year",
        "day_of_action",
        "target_government",
        "status",
        "missing_languages",
    ]
    list_filter = ["status", "year"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["organisations"]
    inlines = [CampaignTextInline, PetitionInline]
    readonly_fields = ["opening_checklist", "missing_languages"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Campaign]:
        return super().get_queryset(request).prefetch_related("texts")

    @admin.display(description=_("languages still to write"))
    def missing_languages(self, obj: Campaign | None) -> SafeString:
        """Languages of the site with no title and addressee for this campaign yet."""
        if obj is None or obj.pk is None:
            return SafeString("")
        return missing_languages_note(obj.missing_languages())

    @admin.display(description=_("ready to open for signing?"))
    def opening_checklist(self, obj: Campaign | None) -> SafeString:
        """What is missing before the status can be set to open (Campaign.opening_problems)."""
        if obj is None or obj.pk is None:
            return format_html("{}", gettext("Save the campaign with a petition first."))
        if obj.status == Campaign.Status.OPEN:
            return format_html("{}", gettext("Open."))
        problems = obj.opening_problems()
        if not problems:
            return format_html(
                '<span id="opening-ready">{}</span>',
                gettext("Ready: set the status to open and save."),
            )
        return format_html(
            '<ul id="opening-problems">{}</ul>',
            format_html_join("", "<li>{}</li>", ((problem,) for problem in problems)),
        )

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return bool(request.user.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser)


class PetitionTextInline(admin.StackedInline[PetitionText, Petition]):
    model = PetitionText
    extra = 0


@admin.register(Petition)
class PetitionAdmin(CampaignScopedAdmin):
    campaign_lookup = "campaign"
    # The signatures app adds the count of confirmed signatures (signatures/admin.py).
    list_display = [
        "slug",
        "campaign",
        "signature_goal",
        "opens_at",
        "closes_at",
        "missing_languages",
    ]
    list_select_related = ["campaign"]
    list_filter = ["bot_challenge"]
    inlines = [PetitionTextInline]
    readonly_fields = ["missing_languages"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Petition]:
        return super().get_queryset(request).prefetch_related("texts")

    @admin.display(description=_("languages still to write"))
    def missing_languages(self, obj: Petition | None) -> SafeString:
        """Languages of the site the petition's text is not written in yet."""
        if obj is None or obj.pk is None:
            return SafeString("")
        written = {text.language for text in obj.texts.all()}
        return missing_languages_note([c for c, _n in settings.LANGUAGES if c not in written])
