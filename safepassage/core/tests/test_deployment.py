"""The single-host recipe (deploy/, docs/deployment.md), installed and used.

``deploy/install`` writes everything below a prefix; the test checks what it
wrote (secrets file modes, units whose commands exist, ``systemd-analyze
verify``), then starts the units' own ExecStart command lines (gunicorn and
one worker) with the generated environment file, puts Caddy with the
generated Caddyfile in front of them on loopback with a certificate from a
test CA, and signs the demo petition over HTTPS through it.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.management import get_commands

from conftest import Mailbox, _database_url, free_port, mail_text, require, sign_data
from safepassage.signatures.models import Signature

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[3]
DOMAIN = "example.test"
SERVICES = [
    "safepassage-web.service",
    "safepassage-worker@.service",
    "safepassage-housekeeping.service",
    "safepassage-backup.service",
    "safepassage-offsite.service",
]
TIMERS = ["safepassage-housekeeping.timer", "safepassage-backup.timer", "safepassage-offsite.timer"]
HARDENING = {
    "User": "safepassage",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "PrivateTmp": "yes",
    "UMask": "0077",
}


def unit_entries(path: Path) -> list[tuple[str, str, str]]:
    """(section, key, value) for each assignment, in order: keys such as ExecStart repeat."""
    entries, section = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def values(path: Path, key: str) -> list[str]:
    return [value for _, name, value in unit_entries(path) if name == key]


def environment_file(path: Path) -> dict[str, str]:
    """The variables of an EnvironmentFile=, read as systemd reads this simple form."""
    variables = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition("=")
            variables[name] = value.strip("\"'")
    return variables


def make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a certificate for DOMAIN signed by it: (CA, certificate, key)."""
    now = datetime.now(UTC)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("safepassage test CA"))
        .issuer_name(name("safepassage test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name(DOMAIN))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(DOMAIN)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    directory.mkdir(mode=0o700)
    paths = directory / "ca.pem", directory / "site.pem", directory / "site.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


class Https(http.client.HTTPSConnection):
    """HTTPS to DOMAIN (SNI, Host, certificate check) at 127.0.0.1: no DNS needed."""

    def connect(self) -> None:
        raw = socket.create_connection(("127.0.0.1", self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


@pytest.fixture
def prefix() -> Iterator[Path]:
    # Short, under /tmp: gunicorn's Unix socket path must stay under 108 bytes.
    directory = Path(tempfile.mkdtemp(prefix="sp-deploy-", dir="/tmp"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def start(command: list[str], cwd: str, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            command, cwd=cwd, env=env, stdout=output, stderr=output, start_new_session=True
        )


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(check: Any, what: str, processes: list[subprocess.Popen[bytes]], logs: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"{process.args!r} exited with {process.returncode}; logs in {logs}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    pytest.fail(f"{what} did not happen within 60 s; logs in {logs}")


def test_install_then_sign_over_https_through_caddy(
    prefix: Path, petition: Any, smtp_server: Mailbox
) -> None:
    caddy = shutil.which("caddy")
    require(caddy is not None, "Caddy (Debian package caddy; scripts/test installs it)")
    assert caddy is not None
    ca, certificate, key = make_certificates(prefix / "tls")
    https_port, http_port = free_port(), free_port()

    # --- Install into the prefix ------------------------------------------------------
    install = [str(ROOT / "deploy" / "install"), "--prefix", str(prefix), "--no-systemd"]
    install += ["--domain", DOMAIN, "--venv", sys.prefix, "--no-gazetteer"]
    install += ["--database-url", _database_url(), "--workers", "1", "--web-workers", "2"]
    install += ["--https-port", str(https_port), "--http-port", str(http_port)]
    install += ["--tls-cert", str(certificate), "--tls-key", str(key)]
    done = subprocess.run(install, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr

    # --- What it wrote ----------------------------------------------------------------
    env_file = prefix / "etc/safepassage/env"
    assert env_file.stat().st_mode & 0o777 == 0o600
    assert (prefix / "etc/safepassage").stat().st_mode & 0o777 == 0o700
    configured = environment_file(env_file)
    assert configured["TRUSTED_PROXY_COUNT"] == "1"
    assert configured["SITE_URL"] == f"https://{DOMAIN}:{https_port}"
    assert configured["ALLOWED_HOSTS"] == DOMAIN
    assert len(configured["SECRET_KEY"]) >= 32 and len(configured["SIGNER_HASH_KEY"]) >= 32
    Fernet(configured["ENCRYPTION_KEYS"].encode())
    data = prefix / "var/lib/safepassage"
    assert configured["SAFEPASSAGE_DATA_DIR"] == str(data)
    assert data.stat().st_mode & 0o777 == 0o700

    units = prefix / "etc/systemd/system"
    commands = get_commands()
    for name in SERVICES:
        unit = units / name
        for key_name, expected in HARDENING.items():
            assert values(unit, key_name) == [expected], (name, key_name)
        assert values(unit, "ReadWritePaths") == [str(data)], name
        assert values(unit, "EnvironmentFile")[0] == str(env_file), name
        [workdir] = values(unit, "WorkingDirectory")
        for line in values(unit, "ExecStart"):
            program, *arguments = shlex.split(line)
            assert os.access(program, os.X_OK), (name, program)
            if arguments[:1] == ["manage.py"]:
                assert (Path(workdir) / "manage.py").is_file()
                assert arguments[1] in commands, (name, arguments[1])
    for name in TIMERS:
        assert (units / name.replace(".timer", ".service")).is_file()
        assert values(units / name, "OnCalendar"), name
    assert re.search(r"ExecStart=.*manage\.py backup$", (units / SERVICES[3]).read_text(), re.M)
    analyze = shutil.which("systemd-analyze")
    if analyze:  # optional: its absence skips this part only
        unit_files = [str(units / name) for name in SERVICES + TIMERS]
        verify = subprocess.run(
            [analyze, "verify", *unit_files], capture_output=True, text=True, timeout=120
        )
        assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr

    # --- Start the units' commands and Caddy ---------------------------------------------
    web_unit, worker_unit = units / SERVICES[0], units / SERVICES[1]
    private_tmp = prefix / "tmp"  # PrivateTmp=yes: the signing writer's socket goes there
    private_tmp.mkdir(mode=0o700)
    service_env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(data),
        "TMPDIR": str(private_tmp),
        "PYTHONUNBUFFERED": "1",
        **configured,
        # The test's mail server instead of the host's.
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
    }
    logs = prefix / "logs"
    logs.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for unit, log in ((web_unit, "web.log"), (worker_unit, "worker.log")):
            [command] = values(unit, "ExecStart")
            [workdir] = values(unit, "WorkingDirectory")
            processes.append(start(shlex.split(command), workdir, service_env, logs / log))
        caddyfile = prefix / "etc/caddy/Caddyfile"
        caddy_home = prefix / "caddy"
        caddy_env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(caddy_home),
            "XDG_DATA_HOME": str(caddy_home / "data"),
            "XDG_CONFIG_HOME": str(caddy_home / "config"),
            "CADDY_ADMIN": "off",
        }
        caddy_command = [caddy, "run", "--config", str(caddyfile), "--adapter", "caddyfile"]
        processes.append(start(caddy_command, str(prefix), caddy_env, logs / "caddy.log"))

        context = ssl.create_default_context(cafile=str(ca))

        def request(
            method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
        ) -> tuple[http.client.HTTPResponse, bytes]:
            connection = Https(DOMAIN, https_port, timeout=30, context=context)
            try:
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
                return response, response.read()
            finally:
                connection.close()

        wait_for(lambda: request("GET", "/healthz")[0].status == 200, "/healthz", processes, logs)

        # --- Sign through Caddy, with a forged X-Forwarded-For ----------------------------
        page, html = request("GET", petition.get_absolute_url())
        assert page.status == 200
        assert page.headers.get_all("Strict-Transport-Security") == [
            "max-age=31536000; includeSubDomains"
        ]
        # The application's policy, once (the nonce appears only on pages that use one).
        [csp] = page.headers.get_all("Content-Security-Policy") or [""]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert page.headers.get_all("X-Frame-Options") == ["DENY"]
        assert page.headers.get_all("Referrer-Policy") == ["same-origin"]
        assert page.headers.get_all("X-Content-Type-Options") == ["nosniff"]
        assert page.headers.get("Server") is None
        # The same page for everyone (a shared cache may keep it): no cookie, a signed
        # form token instead of the CSRF pair (lib/formtokens.py).
        assert page.headers.get_all("Set-Cookie") is None
        assert page.headers["Cache-Control"].startswith("public, max-age=")
        token = re.search(rb'name="form_token" value="([^"]+)"', html)
        assert token
        stylesheet = re.search(rb'href="(/static/[^"]+\.css)"', html)
        assert stylesheet
        static, _ = request("GET", stylesheet.group(1).decode())
        assert static.status == 200 and "text/css" in static.headers["Content-Type"]

        origin = f"https://{DOMAIN}:{https_port}"
        form = {**sign_data(email="through-caddy@example.org")}
        form["form_token"] = token.group(1).decode()
        answer, _ = request(
            "POST",
            petition.get_absolute_url(),
            body=urllib.parse.urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": origin,
                "Referer": origin + petition.get_absolute_url(),
                "X-Forwarded-For": "203.0.113.9",
            },
        )
        assert answer.status == 302, answer.headers
        assert answer.headers["Location"].endswith(f"/p/{petition.slug}/thanks/")

        signature = Signature.objects.get(petition=petition)
        signer_key = configured["SIGNER_HASH_KEY"].encode()
        ip_key = hmac.new(signer_key, b"safepassage ip hash key", hashlib.sha256).digest()

        def keyed(address: str) -> str:
            return hmac.new(ip_key, address.encode(), hashlib.sha256).hexdigest()

        # Caddy replaced the forged header with the address it saw; the app took that.
        assert signature.ip_hash == keyed("127.0.0.1")
        assert signature.ip_hash != keyed("203.0.113.9")

        # The worker (the other unit's command) sent the confirmation with https links.
        [mail] = smtp_server.wait_for(1, timeout=60)
        assert mail["To"] == "through-caddy@example.org"
        assert f"{origin}/s/" in mail_text(mail)

        # --- Caddy's own answers: the redirect to HTTPS, and a 502 with its headers ------
        plain = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        plain.request("GET", "/anything", headers={"Host": DOMAIN})
        redirect = plain.getresponse()
        assert redirect.status in (301, 308)
        # (Caddy 2.6 leaves a non-standard HTTPS port out of it; in production it is 443.)
        location = urllib.parse.urlsplit(redirect.headers["Location"])
        assert (location.scheme, location.hostname, location.path) == ("https", DOMAIN, "/anything")
        plain.close()
        stop(processes[:1])  # gunicorn
        down, _ = request("GET", "/healthz")
        assert down.status == 502
        assert down.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        assert down.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        stop(processes)
