"""Request and response hardening that applies to every URL of the site.

PermissionsPolicyMiddleware adds the Permissions-Policy header of settings.PERMISSIONS_POLICY.

ValidTextMiddleware refuses, with a 400 page, any request whose text is not clean UTF-8:
the query string, an urlencoded or JSON body, and the text fields and file names of a
multipart form. Django itself decodes such input with errors="replace" (or falls back to
Latin-1 for a whole urlencoded body), so a signer's name could be stored as mojibake and a
mail queued for it; here the raw bytes are checked before any view or form sees them.
Text must also be free of C0 control characters other than tab, line feed and carriage
return (a textarea sends CRLF), and of DEL: NUL cannot even be stored by PostgreSQL, and the
others only ever come from tampering. File contents are binary and never looked at.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

Handler = Callable[[HttpRequest], HttpResponseBase]

# C0 controls but tab, line feed and carriage return, and DEL.
FORBIDDEN_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# The same, plus lone surrogates, which JSON escapes can spell but UTF-8 cannot.
FORBIDDEN_IN_JSON = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
# In a multipart form Django has already decoded each field with errors="replace": an
# invalid byte shows as U+FFFD, which a person never types; surrogates cannot be UTF-8.
FORBIDDEN_DECODED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ud800-\udfff]")
UTF_8_NAMES = frozenset({"utf-8", "utf8"})
# Multipart bodies up to this size are read once into memory and their part headers checked
# byte for byte; bigger ones (uploads) are streamed to disk by Django and never read twice.
HEADER_SCAN_BYTES = 2_621_440


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with the site-wide policy built once per process.

    django-csp builds the header from the settings on every response (about 50 us, a
    noticeable share of a cached page or a signature). Here the two possible headers, with
    and without this request's nonce, are built at start-up; a response that a view decorated
    (csp_update, csp_replace, csp_exempt) or a report-only policy still goes through
    django-csp's own code.
    """

    _MARK = "nonce-placeholder"

    def __init__(self, get_response: Handler) -> None:
        super().__init__(get_response)  # type: ignore[arg-type]
        self.plain = build_policy()
        self.with_nonce = build_policy(nonce=self._MARK)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
            or any(hasattr(response, name) for name in _PER_VIEW)
            or (settings.DEBUG and response.status_code in (404, 500))  # Django's debug pages
        ):
            return super().process_response(request, response)
        nonce = getattr(request, "_csp_nonce", None)
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = (
                self.with_nonce.replace(self._MARK, nonce) if nonce else self.plain
            )
        if nonce is None:
            # As django-csp: reading the nonce after the header is written is a bug.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


# What django-csp's view decorators set on a response.
_PER_VIEW = tuple(
    f"_csp_{name}{suffix}"
    for name in ("config", "update", "replace", "exempt")
    for suffix in ("", "_ro")
)


def permissions_policy(features: dict[str, list[str]]) -> str:
    """The header value: ``camera=(), publickey-credentials-get=(self), ...``."""
    return ", ".join(f"{name}=({' '.join(allowed)})" for name, allowed in features.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self.value = permissions_policy(settings.PERMISSIONS_POLICY)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.value)
        return response


def clean_text(data: bytes) -> bool:
    """Whether raw bytes are UTF-8 without forbidden control characters."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return FORBIDDEN_CONTROL.search(text) is None


def clean_urlencoded(raw: bytes) -> bool:
    """Whether every key and value of an application/x-www-form-urlencoded string is clean.

    The whole string is percent-decoded at once: '&', '=' and their escapes are ASCII and can
    neither end nor continue a UTF-8 sequence, so this judges each part as if taken alone.
    """
    return clean_text(unquote_to_bytes(raw))


def _json_strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _json_strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item)


def clean_json(raw: bytes) -> bool:
    """Whether a JSON body is UTF-8 and none of its strings hold forbidden characters.

    JSON escapes can spell what raw bytes cannot (``"\\u0000"``, a lone ``"\\ud800"``), so
    the decoded strings are checked. A body that is not JSON at all is left to the API.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    try:
        document = json.loads(text)
    except ValueError:
        return True
    return not any(FORBIDDEN_IN_JSON.search(string) for string in _json_strings(document))


def clean_part_headers(body: bytes, boundary: bytes) -> bool:
    """Whether every part header of a multipart body (field and file names) is clean text.

    Django drops a part whose header is not UTF-8 without a word; here it is refused.
    """
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head = part.partition(b"\r\n\r\n")[0]
        if not clean_text(head):
            return False
    return True


def clean_multipart(request: HttpRequest) -> bool:
    """Whether the text fields and file names of a parsed multipart form are clean."""
    boundary = (request.content_params or {}).get("boundary", "")
    length = request.META.get("CONTENT_LENGTH") or "0"
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or HEADER_SCAN_BYTES
    # A form without big uploads: Django parses it from this same copy in memory.
    small = length.isdigit() and int(length) <= min(limit, HEADER_SCAN_BYTES)
    if boundary and small and not clean_part_headers(request.body, boundary.encode("ascii")):
        return False
    for key, values in request.POST.lists():
        if FORBIDDEN_DECODED.search(key):
            return False
        if any(FORBIDDEN_DECODED.search(value) for value in values):
            return False
    for key, files in request.FILES.lists():
        if FORBIDDEN_DECODED.search(key):
            return False
        if any(FORBIDDEN_DECODED.search(upload.name or "") for upload in files):
            return False
    return True


def clean_request(request: HttpRequest) -> bool:
    query = request.META.get("QUERY_STRING", "")
    if query:
        try:
            raw_query = query.encode("iso-8859-1")  # WSGI hands the raw bytes over as Latin-1
        except UnicodeEncodeError:
            return False
        if not clean_urlencoded(raw_query):
            return False
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return True
    charset = request.content_params.get("charset") if request.content_params else None
    if charset is not None and charset.strip().lower() not in UTF_8_NAMES:
        return False
    content_type = request.content_type or ""
    if content_type == "application/x-www-form-urlencoded":
        return clean_urlencoded(request.body)
    if content_type == "application/json":
        return clean_json(request.body)
    if content_type == "multipart/form-data":
        # Parsing here rather than in the view costs nothing extra: Django keeps the parsed
        # form (and streams uploads to their handlers once), as CSRF checking would anyway.
        try:
            return clean_multipart(request)
        except MultiPartParserError:
            return False
    if content_type.startswith("text/"):
        return clean_text(request.body)
    return True


def _wants_json(request: HttpRequest) -> bool:
    if request.content_type == "application/json":
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.namespace.startswith("api:v1") or match.view_name == "api:not_found"


class ValidTextMiddleware:
    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if clean_request(request):
            return self.get_response(request)
        return refusal(request)


def refusal(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        detail = _(
            "The request holds text that is not valid UTF-8 or holds control characters; "
            "nothing was saved."
        )
        return JsonResponse({"detail": detail}, status=400)
    message = _(
        "Your browser sent text that is not valid UTF-8 or holds control characters, so "
        "nothing was saved. Please type the text again (or paste it as plain text) and send "
        "the form once more."
    )
    return render(request, "core/invalid_text.html", {"message": message}, status=400)
