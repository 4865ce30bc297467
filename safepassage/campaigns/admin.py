from django.contrib import admin

from safepassage.campaigns.models import Campaign, Organisation, Petition, PetitionText


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name", "website", "phone"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class PetitionInline(admin.TabularInline[Petition, Campaign]):
    model = Petition
    extra = 0
    fields = ["slug", "signature_goal", "opens_at", "closes_at", "default_language"]
    show_change_link = True


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin[Campaign]):
    list_display = ["title", "year", "day_of_action", "target_government", "status"]
    list_filter = ["status", "year"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["organisations"]
    inlines = [PetitionInline]


class PetitionTextInline(admin.StackedInline[PetitionText, Petition]):
    model = PetitionText
    extra = 0


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin[Petition]):
    list_display = ["slug", "campaign", "signature_goal", "opens_at", "closes_at", "confirmed"]
    list_select_related = ["campaign"]
    inlines = [PetitionTextInline]

    @admin.display(description="confirmed signatures")
    def confirmed(self, obj: Petition) -> int:
        return obj.confirmed_count()
