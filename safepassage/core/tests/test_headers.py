"""Every URL of the site answers with the browser-hardening headers (docs/security.md).

The URL patterns are walked from the resolver, so a page added later is checked without
anyone remembering to list it: its path converters are filled with real objects of the
demo campaign (accounts/tests/world.py), and a pattern whose parameters cannot be filled
fails the test until it gets a value here or a reason in SKIPPED.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
from csp.decorators import csp_replace
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.http import HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from safepassage.accounts.tests.world import Rows, World, made_once, populate
from safepassage.core.middleware import ContentSecurityPolicyMiddleware

# url names (or "" for unnamed) left out, each with its reason.
SKIPPED: dict[str, str] = {
    # PDFs and ZIPs, not pages: WeasyPrint takes seconds per document on this machine, and
    # the same middleware adds the same headers to them (checked on the other downloads).
    "events:remembrance_pdf": "a PDF",
    "reports:report_pdf": "a PDF",
    "letters:preview": "a PDF",
    "letters:letterhead-preview": "a PDF",
    "reports:press_kit_release": "a PDF",
    "reports:press_kit_flyer": "a PDF",
    "reports:press_release": "a PDF",
    "reports:flyer": "a PDF",
    "packets:packet": "a PDF",
    "packets:zip": "a ZIP",
}

# The embeddable signing form names its campaign's partner origins, and only those
# (docs/security.md, "The embedded signing form"; signatures/tests/test_embed.py).
FRAMABLE = frozenset({"signatures:embed", "signatures:embed_thanks"})
PARTNER_ORIGINS = re.compile(r"frame-ancestors( https?://[a-z0-9.:\[\]-]+)+")
NOT_ALLOWED = re.compile(r"'unsafe-inline'|'unsafe-eval'|'unsafe-hashes'")
EVENT_HANDLER = re.compile(r"^on[a-z]+$")


@dataclass(frozen=True)
class Route:
    route: str  # the patterns from the root to here, joined
    name: str  # namespaced url name, "" if the pattern has none
    pattern: URLPattern


def routes() -> list[Route]:
    found: list[Route] = []

    def walk(resolver: URLResolver, prefix: str, namespaces: list[str]) -> None:
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = [*namespaces, entry.namespace] if entry.namespace else namespaces
                walk(entry, prefix + str(entry.pattern), inner)
            else:
                name = ":".join([*namespaces, entry.name]) if entry.name else ""
                found.append(Route(prefix + str(entry.pattern), name, entry))

    walk(get_resolver(), "", [])
    return found


def _first_pk(model: Any, **filters: Any) -> str:
    obj = model._default_manager.filter(**filters).order_by("pk").first()
    assert obj is not None, f"the test world has no {model.__name__}"
    return str(obj.pk)


def values(world: World) -> dict[str, str]:
    """Values of path parameters, by name, from campaign A of the test world."""
    from safepassage.api.models import ApiToken
    from safepassage.events.models import RSVP
    from safepassage.letters.models import Letter, SupportingDocument
    from safepassage.packets.models import Packet, PacketBuild
    from safepassage.signatures.models import Signature

    campaign = world.campaign
    return {
        "slug": campaign.slug,
        "campaign": campaign.slug,
        "campaign_slug": campaign.slug,
        "petition_slug": world.petition.slug,
        "sending_state": "CN",
        "country": "US",
        "city": "Washington",
        "key": world.embassy.key,
        "event_uuid": str(world.event_a.uuid),
        "uuid": str(world.event_a.uuid),
        "rsvp_uuid": str(RSVP.objects.filter(event=world.event_a).first().uuid),  # type: ignore[union-attr]
        "signature_uuid": str(Signature.objects.filter(petition=world.petition).first().uuid),  # type: ignore[union-attr]
        "person_uuid": str(Signature.objects.filter(petition=world.petition).first().uuid),  # type: ignore[union-attr]
        "token": "not-a-valid-token",
        "delivery": str(world.delivery_w.pk),
        "letter": _first_pk(Letter, campaign=campaign),
        "document": _first_pk(SupportingDocument, campaign=campaign),
        "api_token": _first_pk(ApiToken),
        "build_id": _first_pk(PacketBuild, campaign=campaign),
        "mission_id": str(world.embassy.pk),
        "packet_id": _first_pk(Packet, build__campaign=campaign),
        "organisation": str(world.partner_org.pk),
        "kind": "signatures",
        "ref": "1",  # updates:unsubscribe (with "kind" and a wrong "token": a 404)
        "fmt": "csv",
        "number": "1",
        "evidence_id": "1",
        "response_id": "1",
        "device_id": "1",
        "upload": "00000000-0000-0000-0000-000000000000",
        "app_label": "campaigns",
        "url": "no-such-page/",
        "campaign_pk": str(campaign.pk),
        "id": str(world.users["organiser"].pk),  # the admin's password change of a user
        "content_type_id": str(ContentType.objects.get_for_model(type(campaign)).pk),
    }


def pk_for(route: Route, table: dict[str, str]) -> str:
    """What <pk> means depends on the page."""
    if route.route.startswith("deliveries/"):
        return table["delivery"]
    if "/letters/documents/" in route.route or route.route.startswith("c/"):
        return table["document"]
    if "/letters/" in route.route:
        return table["letter"]
    if route.route.startswith("api/tokens/"):
        return table["api_token"]
    return "1"


PARAMETER = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>|\(\?P<(?P<group>\w+)>[^)]*\)")


def url_of(route: Route, table: dict[str, str]) -> str | None:
    callback = route.pattern.callback
    model_admin = getattr(callback, "model_admin", None)

    def fill(match: re.Match[str]) -> str:
        name = match["name"] or match["group"]
        if name == "object_id" and route.name == "admin:view_on_site":
            return table["campaign_pk"]
        if name in ("object_id", "id") and model_admin is not None:
            # A model the test world has no row of (a second-factor device) still gets its
            # "not found" answer checked.
            first = model_admin.model._default_manager.order_by("pk").first()
            return str(first.pk) if first is not None else "1"
        if name == "pk":
            return pk_for(route, table)
        if name == "slug" and route.route.startswith(("p/", "api/petitions/")):
            return table["petition_slug"]
        if name not in table:
            raise LookupError(f"no value for <{name}> in {route.route!r} ({route.name})")
        return table[name]

    path = PARAMETER.sub(fill, route.route)
    path = path.replace("^", "").replace("$", "")
    if "(?:" in path:  # the API's catch-all, ^api(?:/.*)?$
        path = path.replace("(?:/.*)?", "/no-such-endpoint")
    return "/" + path


def nonce_of(policy: str) -> str | None:
    match = re.search(r"'nonce-([^']+)'", policy)
    return match[1] if match else None


class InlineCode(HTMLParser):
    """Collects what the policy would block: inline code without the nonce, style attributes."""

    def __init__(self, nonce: str | None) -> None:
        super().__init__()
        self.nonce = nonce
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if EVENT_HANDLER.match(name):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action", "formaction") and (
                value or ""
            ).strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "script":
            source = attributes.get("src")
            if source:
                if source.startswith(("http:", "https:", "//")):
                    self.problems.append(f"<script src={source}> from another site")
            elif attributes.get("type") not in ("application/json", "application/ld+json") and (
                not self.nonce or attributes.get("nonce") != self.nonce
            ):
                self.problems.append("<script> inline without the nonce")
        if tag == "style" and (not self.nonce or attributes.get("nonce") != self.nonce):
            self.problems.append("<style> without the nonce")
        external = (attributes.get("href") or "").startswith(("http:", "https:", "//"))
        if tag == "link" and "stylesheet" in (attributes.get("rel") or "") and external:
            self.problems.append("a stylesheet from another site")


def hardening_problems(response: Any) -> list[str]:
    problems = []
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if not response.headers.get("Referrer-Policy"):
        problems.append("no Referrer-Policy")
    if not response.headers.get("Content-Type", "").startswith("text/html"):
        # JSON, CSV, iCalendar: nothing a browser runs. (The live counter's JSON is answered
        # before the CSP middleware on purpose: it is the busiest URL.)
        return problems
    for header in ("Content-Security-Policy", "Permissions-Policy"):
        if header not in response.headers:
            problems.append(f"no {header}")
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {
        part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()
    }
    if NOT_ALLOWED.search(policy):
        problems.append(f"unsafe source in {policy!r}")
    for name, expected in (
        ("frame-ancestors", "frame-ancestors 'none'"),
        ("object-src", "object-src 'none'"),
        ("base-uri", "base-uri 'none'"),
        ("default-src", "default-src 'self'"),
    ):
        if directives.get(name) != expected:
            match = getattr(response, "resolver_match", None)
            if (
                name == "frame-ancestors"
                and match is not None
                and match.view_name in FRAMABLE
                and PARTNER_ORIGINS.fullmatch(directives.get(name, ""))
            ):
                continue
            problems.append(f"{name} is {directives.get(name)!r}")
    for name in ("script-src", "style-src"):
        sources = directives.get(name, "").split()[1:]
        if not sources or any(s != "'self'" and not s.startswith("'nonce-") for s in sources):
            problems.append(f"{name} is {directives.get(name)!r}")
    if "camera=()" not in response.headers.get("Permissions-Policy", ""):
        problems.append("the Permissions-Policy does not refuse the camera")
    finder = InlineCode(nonce_of(policy))
    finder.feed(response.content.decode("utf-8", errors="replace"))
    problems.extend(finder.problems)
    return problems


@pytest.fixture(autouse=True)
def _fresh_cache(settings):
    cache.clear()


@pytest.fixture(scope="module")
def shared_world(django_db_setup: None, django_db_blocker: Any) -> Iterator[tuple[World, Rows]]:
    """The world with rows of every model, made once for the module's tests."""
    yield from made_once(django_db_blocker, populate)


@pytest.fixture
def world(shared_world: tuple[World, Rows], db: None) -> World:
    return shared_world[0].for_a_test()


def test_every_url_pattern_can_be_filled_or_is_skipped_for_a_reason(world):
    table = values(world)
    unfillable = []
    for route in routes():
        if route.name in SKIPPED:
            continue
        try:
            url_of(route, table)
        except LookupError as error:
            unfillable.append(str(error))
    assert unfillable == []
    names = {route.name for route in routes()}
    assert set(SKIPPED) <= names, "SKIPPED names a pattern that no longer exists"


@pytest.mark.parametrize("persona", ["anonymous", "organiser"])
def test_every_page_carries_the_browser_hardening_headers(world, persona):
    table = values(world)
    # Last, so that no later page is fetched logged out.
    walked = sorted(
        (route for route in routes() if route.name not in SKIPPED),
        key=lambda route: "logout" in route.name,
    )
    failures: dict[str, list[str]] = {}
    html_pages = 0
    client: Client = world.clients[persona]
    # A page that crashes still answers (500) through the same middleware.
    client.raise_request_exception = False
    for route in walked:
        url = url_of(route, table)
        assert url is not None
        response = client.get(url, follow=True)
        chain = [*getattr(response, "redirect_chain", [])]
        problems = hardening_problems(response)
        if response.headers.get("Content-Type", "").startswith("text/html"):
            html_pages += 1
        if problems:
            failures[f"{persona} GET {url} -> {response.status_code} {chain}"] = problems
    assert failures == {}
    assert html_pages > 100  # the walk really reached the pages


def test_redirects_and_errors_carry_the_headers_too(client, petition):
    for url in ("/team/", "/p/no-such-petition/", "/admin/"):
        response = client.get(url)
        assert response.status_code in (302, 404)
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert "geolocation=()" in response.headers["Permissions-Policy"]


def test_an_inline_script_would_be_caught():
    page = (
        '<p style="color:red" onclick="x()">a</p><script>alert(1)</script>'
        '<style nonce="abc">p{}</style><script src="/static/js/site.js"></script>'
        '<svg><style>.a{}</style></svg><a href="javascript:alert(1)">x</a>'
    )
    finder = InlineCode("abc")
    finder.feed(page)
    assert finder.problems == [
        "<p style=...>",
        "<p onclick=...>",
        "<script> inline without the nonce",
        "<style> without the nonce",
        "<a href=javascript:...>",
    ]


def test_one_view_may_loosen_framing_for_itself_alone(rf):
    """The way a later embeddable widget allows framing: django-csp's view decorators."""

    @csp_replace({"frame-ancestors": ["https://partner.example"]})
    def embed(request: Any) -> HttpResponse:
        return HttpResponse("<p>12,345 signatures</p>")

    framed = ContentSecurityPolicyMiddleware(embed)(rf.get("/embed/"))
    assert isinstance(framed, HttpResponse)
    assert "frame-ancestors https://partner.example" in framed["Content-Security-Policy"]
    other = ContentSecurityPolicyMiddleware(lambda request: HttpResponse("x"))(rf.get("/"))
    assert isinstance(other, HttpResponse)
    assert "frame-ancestors 'none'" in other["Content-Security-Policy"]
    assert "nonce" not in other["Content-Security-Policy"]  # only when a page used it


COOKIE_SCRIPT = """
import django
django.setup()
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, get_token
from django.test import RequestFactory

def view(request):
    get_token(request)
    request.session["seen"] = True
    return HttpResponse("ok")

request = RequestFactory().get("/", secure=True)
response = SessionMiddleware(CsrfViewMiddleware(view))(request)
for morsel in response.cookies.values():
    print(morsel.OutputString())
"""


@pytest.mark.parametrize(("https", "prefix"), [("1", "__Host-"), ("0", "")])
def test_session_and_csrf_cookies_are_host_only_under_https(https, prefix, tmp_path):
    """Settings are read at start-up, so a fresh process is started with each configuration."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "safepassage.settings",
        "SAFEPASSAGE_HTTPS": https,
    }
    script = COOKIE_SCRIPT.replace(
        "django.setup()",
        "django.setup()\nfrom django.conf import settings\n"
        "settings.SESSION_ENGINE = 'django.contrib.sessions.backends.signed_cookies'",
    )
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    )
    cookies = {line.split("=", 1)[0]: line for line in result.stdout.splitlines()}
    assert set(cookies) == {f"{prefix}sessionid", f"{prefix}csrftoken"}
    for line in cookies.values():
        assert "Path=/;" in line or line.endswith("Path=/")
        assert "Domain" not in line
        assert ("Secure" in line) == (https == "1")
