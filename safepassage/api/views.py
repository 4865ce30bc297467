"""HTML pages around the API: each user's own tokens, and the list of operations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from safepassage.accounts.permissions import campaigns_for
from safepassage.accounts.reauth import reauth_required
from safepassage.api.main import api
from safepassage.api.models import ApiToken
from safepassage.campaigns.models import Campaign
from safepassage.lib.markdown import render_markdown

LOGIN = "accounts:login"
METHODS = ("get", "post", "put", "patch", "delete")


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “delivery board script”."),
    )
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=ApiToken.Scope.choices,
        initial=ApiToken.Scope.READ,
        widget=forms.RadioSelect,
        help_text=_(
            "A read-only token cannot change anything. Write lets it record deliveries, "
            "within what your roles allow."
        ),
    )
    campaign = forms.ModelChoiceField(
        label=_("Campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=_("Every campaign I have a role in"),
        help_text=_("A token for one campaign sees nothing of the others, in every API."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["campaign"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = campaigns_for(user).order_by("-year", "title", "pk")


@never_cache
@login_required(login_url=LOGIN)
@require_http_methods(["GET", "POST"])
@reauth_required
def tokens(request: HttpRequest) -> HttpResponse:
    """List, make and revoke one's own tokens; a new token is shown on this answer only."""
    user: Any = request.user
    new_token = ""
    form = TokenForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        _row, new_token = ApiToken.issue(
            user,
            form.cleaned_data["name"],
            form.cleaned_data["scope"],
            campaign=form.cleaned_data["campaign"],
        )
        form = TokenForm(user=user)
    context: dict[str, Any] = {
        "form": form,
        "new_token": new_token,
        "tokens": ApiToken.objects.filter(user=user).select_related("campaign"),
    }
    # never_cache: the page with a new token must not stay in any cache.
    return render(request, "api/tokens.html", context)


@login_required(login_url=LOGIN)
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    token = ApiToken.objects.filter(pk=pk, user=user).first()
    if token is None:
        raise Http404
    token.revoke()
    messages.success(request, _t("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api:tokens")


def _choices(schema: dict[str, Any]) -> list[str]:
    """The values an enumerated parameter takes (ninja writes Optional[Literal] as anyOf)."""
    for option in [schema, *schema.get("anyOf", [])]:
        if "enum" in option:
            return [str(value) for value in option["enum"]]
    return []


@require_GET
def docs(request: HttpRequest) -> HttpResponse:
    """Every operation of the OpenAPI description, on a page that loads nothing from elsewhere."""
    schema = api.get_openapi_schema()
    operations = []
    for path, item in schema["paths"].items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "tags": operation.get("tags", []),
                    "token": bool(operation.get("security")),
                    "parameters": [
                        {
                            "name": p["name"],
                            "in": p["in"],
                            "required": p.get("required", False),
                            "description": p.get("description", "")
                            or p.get("schema", {}).get("description", ""),
                            "choices": _choices(p.get("schema", {})),
                        }
                        for p in operation.get("parameters", [])
                    ],
                    "responses": sorted(operation.get("responses", {})),
                }
            )
    context = {
        "title": schema["info"]["title"],
        "description": mark_safe(render_markdown(schema["info"].get("description", ""))),  # noqa: S308
        "public": [op for op in operations if not op["token"]],
        "team": [op for op in operations if op["token"]],
    }
    return render(request, "api/docs.html", context)


@require_GET
def index(request: HttpRequest) -> JsonResponse:
    """/api/ in JSON: the API's name and version, its OpenAPI description, docs and paths."""
    schema = api.get_openapi_schema()
    response = JsonResponse(
        {
            "name": str(api.title),
            "version": str(api.version),
            "openapi": request.build_absolute_uri(reverse("api:v1:openapi-json")),
            "docs": request.build_absolute_uri(reverse("api:docs")),
            # The OSDI read API's entry point (api/osdi.py, docs/osdi.md).
            "osdi": request.build_absolute_uri(reverse("api:osdi:aep")),
            "paths": sorted(schema["paths"]),
        }
    )
    patch_cache_control(response, public=True, max_age=300)
    return response


def not_found(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"detail": "Not found."}, status=404)
