"""The one base of every admin page in the project: who sees and changes which rows.

Invariant 7 of the brief: an organiser sees everything of the campaigns they
organise in the admin, and nothing of any other campaign. Superusers are the
only cross-campaign role. Access follows the campaign roles
(``permissions.organiser_campaigns``), never Django's model permissions: the
Organisers group's permissions open no row here.

Every ``ModelAdmin`` registered in the project derives from
``CampaignScopedAdmin`` and declares one rule
(``accounts/tests/test_admin_isolation.py`` fails for an admin that does not):

``campaign_lookup = "petition__campaign"`` (CAMPAIGN, the default rule)
    The lookup from the model to its campaign (``"pk"`` for Campaign itself).
    Rows of the user's campaigns are listed, opened, changed, deleted,
    offered as choices in foreign keys, and touched by actions; any other
    row is answered with 404, as if it did not exist. Models reached through
    several paths (the outbox, letterheads, organisations) override
    ``campaign_q``.
``rule = SHARED``
    Reference data of no campaign, public anyway (the mission directory):
    organisers of any campaign read it; only superusers change it.
``rule = OWN``
    Rows that belong to one account (API tokens): each staff user their own
    (the page is offered once they have one).
``rule = SUPERUSERS``
    Accounts, groups and the task queue: only superusers, who alone may make
    someone staff or superuser and edit people across campaigns. Organisers
    give roles in their campaigns on the roles page and the invite page.

What the base does for every rule: ``get_queryset`` is narrowed (so the
changelist, its count, search, filters, autocomplete and every action see
only the rows in scope: Django runs an action on ``get_queryset`` filtered by
the posted ids); the change, delete and history pages of a row out of scope
answer 404 (no form, no Save) for everyone but superusers; ``has_*_permission``
follows the rule and the object; list filters on relations show only the
related rows present in the scoped list; foreign-key and many-to-many choices
are limited to what the related model's admin shows the user; an object saved
here must land in one of the user's campaigns.

Subclasses may narrow further (a coordinator's events, read-only pages) but
must call ``super()`` in ``get_queryset``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path, unquote
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import Model, Q, QuerySet, URLField
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.http import Http404, HttpRequest, HttpResponse

from safepassage.accounts.permissions import campaigns_for, organiser_campaigns

CAMPAIGN = "campaign"
SHARED = "shared"
OWN = "own"
SUPERUSERS = "superusers"
RULES = (CAMPAIGN, SHARED, OWN, SUPERUSERS)


def _staff(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def _superuser(request: HttpRequest) -> bool:
    return _staff(request) and bool(request.user.is_superuser)


def scope_campaign_ids(request: HttpRequest, *, any_role: bool = False) -> frozenset[int]:
    """The campaigns the user organises (or, any_role, holds a role in); cached on the request."""
    attribute = "_admin_role_campaign_ids" if any_role else "_admin_campaign_ids"
    cached: frozenset[int] | None = getattr(request, attribute, None)
    if cached is None:
        campaigns = campaigns_for(request.user) if any_role else organiser_campaigns(request.user)
        ids = campaigns.values_list("pk", flat=True)
        cached = frozenset(ids) if _staff(request) else frozenset()
        setattr(request, attribute, cached)
    return cached


def _multi_valued(model: type[Model], lookup: str) -> bool:
    """Whether the lookup can reach several campaigns (then filtered through a subquery)."""
    if lookup == "pk":
        return False
    try:
        fields = get_fields_from_path(model, lookup)
    except FieldDoesNotExist:
        return True
    return any(f.many_to_many or f.one_to_many for f in fields)


class CampaignScopedAdmin(admin.ModelAdmin[Any]):
    """See the module's docstring: one rule per admin, enforced on every admin page."""

    rule: ClassVar[str] = CAMPAIGN
    campaign_lookup: ClassVar[str | None] = None
    owner_lookup: ClassVar[str] = "user"
    # Admins whose own rules admit coordinators and partner editors (events,
    # RSVPs, deliveries) start from every campaign where the user holds a role.
    any_role: ClassVar[bool] = False
    # A web address typed without a scheme is taken as https (Django 6's default).
    formfield_overrides = {URLField: {"assume_scheme": "https"}}

    def scope_campaigns(self, request: HttpRequest) -> frozenset[int]:
        return scope_campaign_ids(request, any_role=self.any_role)

    # -- the rule ---------------------------------------------------------

    def campaign_q(self, campaign_ids: frozenset[int]) -> Q:
        """The rows of these campaigns; override for models reached through several paths."""
        if not self.campaign_lookup:
            raise NotImplementedError(
                f"{type(self).__name__} declares no campaign_lookup and no other rule"
            )
        return Q(**{f"{self.campaign_lookup}__in": campaign_ids})

    def _scope_q(self, request: HttpRequest) -> Q | None:
        """None for every row; a Q for the rows in scope."""
        if _superuser(request):
            return None
        if self.rule == CAMPAIGN:
            return self.campaign_q(self.scope_campaigns(request))
        if self.rule == SHARED:
            return None if scope_campaign_ids(request) else Q(pk__in=[])
        if self.rule == OWN:
            pk = request.user.pk if _staff(request) else None
            return Q(**{self.owner_lookup: pk}) if pk is not None else Q(pk__in=[])
        return Q(pk__in=[])

    def _may_work_here(self, request: HttpRequest) -> bool:
        """Whether the user has anything to do on this admin at all."""
        if _superuser(request):
            return True
        if self.rule == CAMPAIGN:
            return bool(self.scope_campaigns(request))
        if self.rule == SHARED:
            return bool(scope_campaign_ids(request))
        if self.rule == OWN:
            owned = self.model._default_manager.filter(**{self.owner_lookup: request.user.pk})
            return _staff(request) and owned.exists()
        return False

    def _in_scope(self, request: HttpRequest, obj: Any) -> bool:
        if obj is None:
            return self._may_work_here(request)
        if obj.pk is None:
            return self._may_work_here(request)
        return self.get_queryset(request).filter(pk=obj.pk).exists()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)
        q = self._scope_q(request)
        if q is None:
            return queryset
        if self.rule == CAMPAIGN and (
            self.campaign_lookup is None or _multi_valued(self.model, self.campaign_lookup)
        ):
            # No duplicate rows, and the queryset stays deletable and updatable.
            return queryset.filter(pk__in=self.model._default_manager.filter(q).values("pk"))
        return queryset.filter(q)

    # -- permissions ------------------------------------------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_work_here(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._in_scope(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self.rule == SHARED and not _superuser(request):
            return False
        return self._in_scope(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_change_permission(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        if self.rule == SHARED:
            return _superuser(request)
        return self._may_work_here(request)

    # -- pages ------------------------------------------------------------

    def _object_or_404(self, request: HttpRequest, object_id: str | None) -> None:
        """Out of scope is as if it did not exist (superusers also see deleted rows' history)."""
        if object_id is None or _superuser(request):
            return
        if self.get_object(request, unquote(object_id)) is None:
            raise Http404

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        self._object_or_404(request, object_id)
        return super().change_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._object_or_404(request, object_id)
        return super().delete_view(request, object_id, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        self._object_or_404(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        """simple_history's page of one past version (and its revert form)."""
        self._object_or_404(request, object_id)
        view = super().history_form_view  # type: ignore[misc]
        response: HttpResponse = view(request, object_id, version_id, extra_context)
        return response

    def get_list_filter(self, request: HttpRequest) -> Any:
        """A filter on a relation offers only the related rows in the scoped list."""
        filters = []
        for item in super().get_list_filter(request):
            if isinstance(item, str):
                try:
                    field = get_fields_from_path(self.model, item)[-1]
                except FieldDoesNotExist:
                    field = None
                if field is not None and field.is_relation:
                    item = (item, admin.RelatedOnlyFieldListFilter)
            filters.append(item)
        return filters

    # -- choices and saving -----------------------------------------------

    def choices_for(self, request: HttpRequest, campaign_ids: frozenset[int]) -> QuerySet[Any]:
        """This model's rows another admin may offer as choices, working on these campaigns."""
        rows: QuerySet[Any] = self.model._default_manager.all()
        if self.rule == CAMPAIGN:
            return rows.filter(pk__in=rows.filter(self.campaign_q(campaign_ids)).values("pk"))
        if self.rule == SHARED:
            return rows if campaign_ids else rows.none()
        if self.rule == OWN:
            return rows.filter(**{self.owner_lookup: request.user.pk})
        if self.model is get_user_model():
            # People who hold a role in those campaigns, never the list of every account.
            return rows.filter(roles__campaign__in=campaign_ids).distinct()
        return rows.none()

    def _related_choices(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        """Choices from the campaigns this page works on (a coordinator's too, on events)."""
        if "queryset" in kwargs or _superuser(request):
            return
        related = self.admin_site._registry.get(db_field.related_model)
        if isinstance(related, CampaignScopedAdmin):
            kwargs["queryset"] = related.choices_for(request, self.scope_campaigns(request))

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        self._related_choices(db_field, request, kwargs)
        field: ModelChoiceField[Any] | None = super().formfield_for_foreignkey(
            db_field, request, **kwargs
        )
        return field

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> ModelMultipleChoiceField[Any] | None:
        self._related_choices(db_field, request, kwargs)
        field: ModelMultipleChoiceField[Any] | None = super().formfield_for_manytomany(
            db_field, request, **kwargs
        )
        return field

    def campaign_id_of(self, obj: Any) -> int | None:
        """The campaign of an unsaved object, by its single-valued lookup (None if unknown)."""
        lookup = self.campaign_lookup
        if self.rule != CAMPAIGN or not lookup or _multi_valued(self.model, lookup):
            return None
        if lookup == "pk":
            return int(obj.pk) if obj.pk is not None else None
        value: Any = obj
        parts = lookup.split("__")
        for part in parts[:-1]:
            value = getattr(value, part, None)
            if value is None:
                return None
        campaign_id = getattr(value, f"{parts[-1]}_id", None)
        return int(campaign_id) if campaign_id is not None else None

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not _superuser(request):
            campaign_id = self.campaign_id_of(obj)
            if campaign_id is not None and campaign_id not in self.scope_campaigns(request):
                raise PermissionDenied
        super().save_model(request, obj, form, change)


class OrganisersReadOnly(CampaignScopedAdmin):
    """Rows of the user's campaigns, read only: nothing is added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyLines:
    """An inline's rows shown read only to whoever may see the row of the page above them.

    The lines have no model permissions of their own: an organiser who sees an
    update or a webhook delivery sees its texts or attempts, and nobody adds,
    changes or deletes them here.
    """

    can_delete = False
    admin_site: Any
    parent_model: Any

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        parent = self.admin_site._registry[self.parent_model]
        return bool(parent.has_view_permission(request, obj))

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
