"""Public pages a shared cache can keep (lib/sharedcache.py) and forms without a cookie
(lib/formtokens.py), then the nginx cache of deploy/nginx/ in front of a real server."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import signing
from django.test import Client

from conftest import LiveApp, free_port, require, sign_data
from safepassage.accounts.tests.world import World, build_world, populate
from safepassage.events.models import RSVP
from safepassage.events.tests.test_events import make_event, soon
from safepassage.events.views.public import RSVP_TOKEN_SALT
from safepassage.lib import formtokens
from safepassage.signatures import services
from safepassage.signatures.models import Signature
from safepassage.signatures.views.signing import FORM_TOKEN_SALT

ROOT = Path(__file__).resolve().parents[3]
ORIGIN = "http://testserver"


@pytest.fixture
def world(petition: Any) -> World:
    built = build_world(petition)
    populate(built)
    return built


def public_urls(world: World) -> list[str]:
    petition, campaign = world.petition, world.campaign
    return [
        "/",
        petition.get_absolute_url(),
        f"/p/{petition.slug}/count.json",
        f"/p/{petition.slug}/share.png?lang=en",
        f"/c/{campaign.slug}/",
        f"/events/{campaign.slug}/",
        f"/e/{world.event_a.uuid}/",
        "/missions/CN/",
    ]


def field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, f"no {name} in the page"
    return found.group(1)


@pytest.mark.django_db
def test_public_pages_set_no_cookie_and_may_be_kept_by_a_shared_cache(world: World) -> None:
    visitor = Client(enforce_csrf_checks=True)
    for url in public_urls(world):
        response = visitor.get(url)
        assert response.status_code == 200, url
        assert not response.cookies, url
        assert "Set-Cookie" not in response, url
        assert "cookie" not in response.get("Vary", "").lower(), url
        cache_control = response["Cache-Control"]
        assert cache_control.startswith("public, max-age="), (url, cache_control)
        if url.endswith(".json"):
            assert f"max-age={settings.COUNT_CACHE_SECONDS}" in cache_control
        policy = response.get("Content-Security-Policy", "")
        script_src = re.search(r"script-src[^;]*", policy)
        assert script_src is None or "nonce" not in script_src.group(0), url
    html = visitor.get(world.petition.get_absolute_url()).content.decode()
    assert "csrfmiddlewaretoken" not in html and 'name="form_token"' in html
    page = visitor.get(world.petition.get_absolute_url())
    # A shared cache keeps it; a browser asks again each time (its visitor may just have signed).
    assert page["Cache-Control"] == f"public, max-age=0, s-maxage={settings.PUBLIC_CACHE_SECONDS}"
    assert page["Vary"] == "Accept-Language"
    # A language named in the URL decides alone: no Vary on the browser's languages.
    korean = visitor.get(world.petition.get_absolute_url() + "?lang=ko")
    assert "Vary" not in korean and korean["Content-Language"] == "ko"


@pytest.mark.django_db
def test_per_visitor_requests_and_staff_pages_stay_private(world: World) -> None:
    organiser = world.clients["organiser"]
    for url in public_urls(world)[:2]:
        assert organiser.get(url)["Cache-Control"] == "private, no-store"
    team = organiser.get("/team/")["Cache-Control"]
    assert "private" in team and "no-store" in team
    # Django's language cookie decides the page's language: not for everyone.
    chooser = Client()
    chooser.cookies[settings.LANGUAGE_COOKIE_NAME] = "ko"
    answer = chooser.get(world.petition.get_absolute_url())
    assert (
        answer["Cache-Control"] == "private, no-cache" and "public" not in answer["Cache-Control"]
    )


@pytest.mark.django_db
def test_the_signing_form_needs_its_token_and_our_origin(world: World) -> None:
    petition = world.petition
    url = petition.get_absolute_url()
    browser = Client(enforce_csrf_checks=True)
    token = field(browser.get(url).content.decode(), "form_token")
    refused: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
        "no token": ({}, {"HTTP_ORIGIN": ORIGIN}),
        "forged": ({"form_token": token[:-2] + "xx"}, {"HTTP_ORIGIN": ORIGIN}),
        "another petition's": (
            {"form_token": formtokens.issue(FORM_TOKEN_SALT, str(petition.pk + 1))},
            {"HTTP_ORIGIN": ORIGIN},
        ),
        "an embed token": (
            {
                "form_token": signing.TimestampSigner(
                    salt="safepassage.signatures.embed-form"
                ).sign(f"{petition.pk}:")
            },
            {"HTTP_ORIGIN": ORIGIN},
        ),
        "another site's page": ({"form_token": token}, {"HTTP_ORIGIN": "https://evil.example"}),
        "another site's referer": (
            {"form_token": token},
            {"HTTP_REFERER": "https://evil.example/page"},
        ),
        "https without origin or referer": ({"form_token": token}, {"secure": True}),
    }
    before = Signature.objects.count()
    for what, (extra, headers) in refused.items():
        response = browser.post(url, sign_data(**extra), **headers)
        assert response.status_code == 403, what
        assert "Please sign again" in response.content.decode(), what
    assert Signature.objects.count() == before
    stale = signing.TimestampSigner(salt=FORM_TOKEN_SALT)
    old = time.time() - formtokens.SECONDS - 5
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "time", lambda: old)
        expired = stale.sign(str(petition.pk))
    assert browser.post(url, sign_data(form_token=expired), HTTP_ORIGIN=ORIGIN).status_code == 403
    done = browser.post(url, sign_data(form_token=token), HTTP_ORIGIN=ORIGIN)
    assert done.status_code == 302 and done["Location"].endswith("/thanks/")
    assert Signature.objects.count() == before + 1
    # A browser that sends no Origin but its Referer (same origin) is accepted too.
    again = sign_data(form_token=token, email="referer@example.org")
    assert browser.post(url, again, HTTP_REFERER=ORIGIN + url).status_code == 302


@pytest.mark.django_db
def test_the_rsvp_form_needs_its_token_and_our_origin(petition: Any) -> None:
    event = make_event(petition.campaign, starts_at=soon(), ends_at=soon(hour=21))
    elsewhere = make_event(petition.campaign, starts_at=soon(), ends_at=soon(hour=21))
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/e/{event.uuid}/")
    assert not page.cookies
    token = field(page.content.decode(), "form_token")
    data = {"name": "Min", "email": "min@example.org", "people": "2", "consent": "only"}
    rsvp_url = f"/e/{event.uuid}/rsvp/"
    other = formtokens.issue(RSVP_TOKEN_SALT, str(elsewhere.pk))
    for extra, origin in ((other, ORIGIN), (token, "https://evil.example"), ("", ORIGIN)):
        refused = browser.post(rsvp_url, {**data, "form_token": extra}, HTTP_ORIGIN=origin)
        assert refused.status_code == 403
    before = RSVP.objects.filter(event=event).count()
    done = browser.post(rsvp_url, {**data, "form_token": token}, HTTP_ORIGIN=ORIGIN)
    assert done.status_code == 302, done.content.decode()[:2000]
    assert RSVP.objects.filter(event=event).count() == before + 1


# --- The nginx cache of deploy/nginx/ in front of the real server -----------------------------


def nginx_config(directory: Path, upstream: str, listen: str, workers: str = "1") -> Path:
    """deploy/nginx/safepassage-cache.conf filled in, inside a main configuration of its own."""
    for name in ("cache", "temp"):
        (directory / name).mkdir(parents=True, exist_ok=True)
    site = (ROOT / "deploy/nginx/safepassage-cache.conf").read_text()
    site = site.replace("@CACHE_DIR@", str(directory / "cache"))
    site = site.replace("@UPSTREAM@", upstream).replace("@LISTEN@", listen)
    (directory / "site.conf").write_text(site)
    temp = directory / "temp"
    user = "user root root;\n" if os.geteuid() == 0 else ""
    main = (
        f"{user}worker_processes {workers};\npid {directory}/nginx.pid;\n"
        f"error_log {directory}/error.log warn;\ndaemon off;\n"
        "events { worker_connections 4096; }\n"
        "http {\n"
        f"  client_body_temp_path {temp}/body;\n  proxy_temp_path {temp}/proxy;\n"
        f"  fastcgi_temp_path {temp}/fastcgi;\n  uwsgi_temp_path {temp}/uwsgi;\n"
        f"  scgi_temp_path {temp}/scgi;\n"
        f"  include {directory}/site.conf;\n"
        "}\n"
    )
    (directory / "nginx.conf").write_text(main)
    return directory / "nginx.conf"


@pytest.fixture
def live_app_env() -> dict[str, str]:
    return {"COUNT_CACHE_SECONDS": "2", "PUBLIC_CACHE_SECONDS": "10"}


@pytest.fixture
def cache_in_front(live_app: LiveApp) -> Iterator[int]:
    nginx = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    require(nginx is not None, "nginx (Debian package nginx; scripts/test installs it)")
    assert nginx is not None
    directory = Path(tempfile.mkdtemp(prefix="sp-cache-"))
    port = free_port()
    upstream = urllib.parse.urlsplit(live_app.url).netloc
    config = nginx_config(directory, upstream, f"127.0.0.1:{port}")
    checked = subprocess.run([nginx, "-t", "-c", str(config)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(
        [nginx, "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if get(port, "/healthz")[0].status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
        shutil.rmtree(directory, ignore_errors=True)


def get(
    port: int, path: str, headers: dict[str, str] | None = None, method: str = "GET",
    body: str | None = None,
) -> tuple[http.client.HTTPResponse, bytes]:  # fmt: skip
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response, response.read()
    finally:
        connection.close()


@pytest.mark.live
@pytest.mark.django_db(transaction=True)
def test_the_cache_serves_public_pages_and_lets_signatures_through(
    petition: Any, live_app: LiveApp, cache_in_front: int
) -> None:
    port = cache_in_front
    for path in (petition.get_absolute_url(), f"/p/{petition.slug}/count.json"):
        first, _ = get(port, path)
        second, _body = get(port, path)
        assert first.status == second.status == 200, path
        assert first.headers["X-Cache-Status"] in ("MISS", "EXPIRED"), path
        assert second.headers["X-Cache-Status"] == "HIT", path
        for answer in (first, second):
            assert answer.headers.get_all("Set-Cookie") is None, path
            assert answer.headers["Cache-Control"].startswith("public, max-age="), path
    html = get(port, petition.get_absolute_url())[1].decode()
    token = field(html, "form_token")

    # A logged-in person's request (session cookie) is passed by, its answer kept private.
    staff, _ = get(port, petition.get_absolute_url(), {"Cookie": "sessionid=abc"})
    assert staff.headers["X-Cache-Status"] == "BYPASS"
    assert staff.headers["Cache-Control"] == "private, no-store"
    # An answer that sets a cookie (the sign-in page's CSRF cookie) is never stored.
    for _ in range(2):
        login, _ = get(port, "/team/login/")
        assert login.headers.get_all("Set-Cookie")
        assert login.headers.get("X-Cache-Status") != "HIT"

    # Signing through the cache: the POST goes through to gunicorn, every time.
    origin = f"http://127.0.0.1:{port}"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin}
    for number in range(2):
        form = sign_data(email=f"through-cache-{number}@example.org", form_token=token)
        answer, _ = get(
            port, petition.get_absolute_url(), headers, "POST", urllib.parse.urlencode(form)
        )
        assert answer.status == 302, answer.headers
        assert answer.headers.get("X-Cache-Status") in (None, "", "BYPASS")
    deadline = time.monotonic() + 30
    while Signature.objects.filter(petition=petition).count() < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    signatures = list(Signature.objects.filter(petition=petition))
    assert len(signatures) == 2

    # The counter through the cache is never more than its lifetime behind the server's.
    lifetime = 2  # COUNT_CACHE_SECONDS of live_app_env
    direct = urllib.parse.urlsplit(live_app.url).port
    assert direct is not None
    path = f"/p/{petition.slug}/count.json"
    before = json.loads(get(port, path)[1])["confirmed"]
    for signature in signatures:
        services.confirm(signature)
    seen_direct = seen_cached = None
    started = time.monotonic()
    while time.monotonic() - started < 30 and seen_cached is None:
        now = time.monotonic()
        if seen_direct is None and json.loads(get(direct, path)[1])["confirmed"] > before:
            seen_direct = now
        if json.loads(get(port, path)[1])["confirmed"] > before:
            seen_cached = now
            seen_direct = seen_direct or now  # (each gunicorn worker counts on its own)
        time.sleep(0.05)
    assert seen_direct is not None and seen_cached is not None
    # Plus what the loop itself takes: two requests and a pause per turn, slow on a busy machine.
    assert seen_cached - seen_direct <= lifetime + 1.5, (seen_direct, seen_cached)
    # It stays in step: every read for the next lifetimes is at most one lifetime old.
    confirmed = json.loads(get(direct, path)[1])["confirmed"]
    cached = json.loads(get(port, path)[1])["confirmed"]
    assert cached == confirmed
