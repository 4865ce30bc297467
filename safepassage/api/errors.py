"""How the APIs answer an error: JSON with a ``detail``, the same for /api/ and /api/osdi/v1/."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

logger = logging.getLogger(__name__)


def answer_errors(api: NinjaAPI, name: str) -> None:
    """Give ``api`` our error answers: never a page, never a traceback, a reason to retry."""

    def error(request: HttpRequest, status: int, detail: Any, **extra: Any) -> HttpResponse:
        return api.create_response(request, {"detail": detail, **extra}, status=status)

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        errors = getattr(exc, "errors", None)
        response = error(
            request, exc.status_code, str(exc), **({"errors": errors} if errors else {})
        )
        wait = getattr(exc, "wait", None)  # ninja.errors.Throttled
        if wait is not None:
            response["Retry-After"] = str(int(wait))
        if isinstance(exc, AuthenticationError):
            response["WWW-Authenticate"] = 'Bearer realm="safepassage"'
        return response

    def unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("%s error on %s", name, request.path)
        return error(request, 500, "Internal server error.")

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return error(request, 404, "Not found.")

    def invalid(request: HttpRequest, exc: Any) -> HttpResponse:
        return error(request, 422, exc.errors)

    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(ValidationError, invalid)
    api.add_exception_handler(Exception, unexpected)
