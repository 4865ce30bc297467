"""The JSON API (django-ninja): public data, and team data with personal tokens.

Served under /api/ with its OpenAPI 3 description at /api/openapi.json. The
interactive docs page of ninja loads Swagger UI from a CDN, and this site
loads nothing from other servers, so it is off: /api/docs is a plain page
of our own listing the operations from the same description (views.docs).

Every error is JSON: ``{"detail": ...}`` with its status code (400, 401,
403, 404, 405, 409, 422, 429, 500); 429 comes with Retry-After.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.errors import ValidationError

from safepassage.api import public, staff
from safepassage.api.errors import answer_errors
from safepassage.api.security import RateLimit

DESCRIPTION = """\
The public data of safepassage campaigns (campaigns, petitions and their counts,
events of the day of action, the directory of missions) and, with a personal
API token, what the campaign team works with (signatures for organisers,
deliveries and RSVP counts for organisers and coordinators).

Lists take `limit` (1-500, default 50) and `offset` and answer
`{"items": [...], "count": total, "limit": ..., "offset": ...}`.

Errors are `{"detail": ...}` with the status code; a query parameter that an
operation does not take, or one given twice, is refused (422). Requests are
limited per minute: the public operations per client address, the team's per
token (and attempts without a valid token per address); over the limit the
answer is 429 with `Retry-After` in seconds.

Counts are of *counted* signatures: confirmed by e-mail and not held for
review. No public answer names a signer or a person coming to an event.
"""

api = NinjaAPI(
    title="safepassage API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api:v1",
    docs_url=None,
    throttle=[RateLimit()],
)


def operation_id(view_func: Callable[..., Any]) -> str:
    """The operationId ninja gives a view (NinjaAPI.get_openapi_operation_id)."""
    return f"{view_func.__module__}_{view_func.__name__}".replace(".", "_")


@functools.cache
def query_names() -> dict[str, frozenset[str]]:
    """{operationId: the query parameters it takes}, from the OpenAPI document."""
    schema = api.get_openapi_schema()
    return {
        operation["operationId"]: frozenset(
            p["name"] for p in operation.get("parameters", []) if p["in"] == "query"
        )
        for item in schema["paths"].values()
        for operation in item.values()
    }


def strict_query(view_func: Callable[..., Any]) -> Callable[..., Any]:
    """Refuse query parameters an operation does not take, and any given twice (422).

    A typo such as ``?contry=KR`` is not silently ignored, nor is ``?kind=a&kind=b``
    taken as one of the two (every parameter of this API is a single value). Runs
    after authentication, rate limits and the validation of the known parameters.
    """
    name = operation_id(view_func)

    @functools.wraps(view_func)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        errors = [
            {"type": "unknown_parameter", "loc": ["query", key], "msg": "Unknown parameter"}
            for key in sorted(set(request.GET) - query_names()[name])
        ]
        errors += [
            {"type": "repeated_parameter", "loc": ["query", key], "msg": "Given more than once"}
            for key in sorted(request.GET)
            if len(request.GET.getlist(key)) > 1
        ]
        if errors:
            raise ValidationError(errors)
        return view_func(request, *args, **kwargs)

    return checked


public.router.add_decorator(strict_query)
staff.router.add_decorator(strict_query)
api.add_router("/", public.router)
api.add_router("/", staff.router)


answer_errors(api, "API")
