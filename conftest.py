"""Fixtures shared by the whole suite: real mail server, real server processes.

A test that needs a component this machine lacks is skipped with its reason
printed, except under CI=true, where a missing component fails the test.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import setup_databases, teardown_databases
from django.utils import translation

from safepassage.core.tests import kept
from safepassage.core.worker import run_all_due
from safepassage.lib.geo import cityindex

ROOT = Path(__file__).resolve().parent
T = TypeVar("T")


def require(available: bool, what: str) -> None:
    """Skip (loudly) when ``what`` is missing; under CI=true fail instead."""
    if available:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI requires {what}, and it is not available")
    pytest.skip(f"SKIPPED: {what} is not available on this machine")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_tasks() -> None:
    """Send every due mail and run every due task, as the worker would, then return.

    Tasks run outside the test's transaction, so tests that call this need
    ``django_db(transaction=True)``.
    """
    run_all_due()


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    port: int = 0

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[Mailbox]:
    """A real SMTP server (aiosmtpd) on loopback; the app is pointed at it."""
    from aiosmtpd.controller import Controller

    box = Mailbox()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            box.messages.append(parsed)
            return "250 Message accepted for delivery"

    box.port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=box.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = box.port
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """TEST_REDIS_URL's database, emptied, for this test alone.

    The tests that use Redis empty its database first, so they take turns
    through a lock file, whichever pytest-xdist worker runs them.
    """
    url = os.environ.get("TEST_REDIS_URL", "")
    require(bool(url), "Redis (TEST_REDIS_URL)")
    import redis

    lock = ROOT / "var" / "redis-tests.lock"
    lock.parent.mkdir(exist_ok=True)
    with open(lock, "a") as turn:
        fcntl.flock(turn, fcntl.LOCK_EX)  # released when the file is closed
        redis.Redis.from_url(url).flushdb()
        yield url


def mail_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert isinstance(body, EmailMessage)
    return str(body.get_content())


@pytest.fixture
def campaign(db: None) -> Any:
    """An open campaign for the PRC (``personas.make_campaign``); the demo's is ``petition``."""
    from personas import make_campaign

    return make_campaign()


@pytest.fixture
def organiser(campaign: Any) -> Any:
    """The organiser of ``campaign``, whichever campaign the test's directory defines."""
    from personas import organiser_of

    return organiser_of(campaign)


@pytest.fixture
def petition(db: None) -> Any:
    from safepassage.core.demo import load_demo

    return load_demo(2026)


def rows_for_the_module(django_db_blocker: Any, make: Callable[[], T]) -> Iterator[T]:
    """Django's ``setUpTestData`` for a pytest module: rows made once, tests roll back to them.

    For a module-scoped fixture (``yield from rows_for_the_module(...)``) that
    also asks for ``django_db_setup``. The rows are made in a transaction that
    stays open while the module's tests run: each test's own transaction
    (pytest-django's) is a savepoint inside it, so a test finds the rows as it
    would its own and leaves them as they were. The transaction is rolled back
    when the module is done. Every test of the module that comes after runs
    inside it, so none may use ``transactional_db`` or a live server; and
    Python objects made here are shared, so hand each test copies.
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            made = make()
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield made
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@dataclass
class LiveApp:
    url: str
    mailbox: Mailbox
    env: dict[str, str]
    server: subprocess.Popen[bytes]
    log: Path = Path(os.devnull)
    log_start: int = 0

    def server_log(self) -> str:
        """What this server wrote to its log (the file is shared by a worker's live tests)."""
        with self.log.open("rb") as handle:
            handle.seek(self.log_start)
            return handle.read().decode(errors="replace")


def _database_url() -> str:
    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _wait_started(log: Path, offset: int, process: subprocess.Popen[bytes]) -> None:
    """Wait until the worker says it started (``manage.py worker``'s log line)."""
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited with {process.returncode}; see {log}")
        with log.open("rb") as handle:
            handle.seek(offset)
            if f"worker {process.pid} started".encode() in handle.read():
                return
        time.sleep(0.05)
    raise RuntimeError(f"the worker did not start within 30 s; see {log}")


@pytest.fixture
def live_app_env() -> dict[str, str]:
    """Extra environment for the live server; a test module may override it."""
    return {}


@pytest.fixture
def live_app_host() -> str:
    """The host name the browser uses for the live server (its SITE_URL); a module may override it.

    Passkeys need a domain: browsers refuse an IP address as the WebAuthn relying party.
    """
    return "127.0.0.1"


@pytest.fixture
def live_app_web_workers() -> int:
    """How many web processes gunicorn runs for the live server; a module may override it.

    One serves a test's browser and clients (with many threads); the modules that
    test what several processes share (limits in Redis, the signing writer,
    concurrent signing) ask for two.
    """
    return 1


@pytest.fixture
def live_app(
    transactional_db: None,
    smtp_server: Mailbox,
    live_app_env: dict[str, str],
    live_app_host: str,
    live_app_web_workers: int,
) -> Iterator[LiveApp]:
    """The application as it runs in production: gunicorn (with its signing writer) and a worker."""
    port = free_port()
    url = f"http://{live_app_host}:{port}"
    # The server's own temporary directory (its signing writer's socket), removed after it.
    temporary = tempfile.mkdtemp(prefix="live-")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "SITE_URL": url,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "SAFEPASSAGE_DEBUG": "0",
        "SAFEPASSAGE_DEMO": "0",
        "COUNT_CACHE_SECONDS": "0",
        "REPEAT_MAIL_MINUTES": "0",
        "THROTTLE_PER_IP": "100000",
        "THROTTLE_PER_NETWORK": "100000",
        "THROTTLE_PER_DOMAIN": "100000",
        "PYTHONUNBUFFERED": "1",
        "TMPDIR": temporary,
        **live_app_env,
    }
    bin_dir = Path(sys.executable).parent
    log_dir = Path(settings.DATA_DIR)
    log = log_dir / "live-server.log"
    server_log = open(log, "ab")  # noqa: SIM115
    log_start = server_log.tell()
    worker_log = open(log_dir / "live-worker.log", "ab")  # noqa: SIM115
    worker_log_start = worker_log.tell()
    gunicorn = [str(bin_dir / "gunicorn"), "-c", "python:safepassage.gunicorn_conf"]
    gunicorn += ["safepassage.wsgi:application", "--bind"]
    gunicorn += [f"127.0.0.1:{port}", "--worker-class", "gthread"]
    gunicorn += ["--workers", str(live_app_web_workers)]
    gunicorn += ["--threads", "32", "--log-level", "warning"]
    server = subprocess.Popen(
        gunicorn,
        cwd=ROOT,
        env=env,
        stdout=server_log,
        stderr=server_log,
        start_new_session=True,  # its own process group, so a test can kill it whole
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=env,
        stdout=worker_log,
        stderr=worker_log,
    )
    try:
        _wait_http(f"{url}/healthz", server)
        _wait_started(log_dir / "live-worker.log", worker_log_start, worker)
        yield LiveApp(
            url=url, mailbox=smtp_server, env=env, server=server, log=log, log_start=log_start
        )
    finally:
        # The test is over, so the processes are killed, not stopped: a graceful stop
        # takes seconds after each test (signatures/tests/test_writer.py tests it).
        # gunicorn leads its own process group: its web workers and its writer go with it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        worker.kill()
        for process in (server, worker):
            process.wait(timeout=20)
        server_log.close()
        worker_log.close()
        shutil.rmtree(temporary, ignore_errors=True)


def totp_device(user: Any) -> Any:
    """The user's confirmed authenticator-app device (django-otp), made once."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="test authenticator", confirmed=True)
    return device


def totp_code(device: Any) -> str:
    """The code the authenticator app shows now (django-otp's own TOTP generator)."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def pass_second_factor(client: Any, user: Any) -> None:
    """Mark the client's logged-in session as having passed its second factor.

    An account that must have one gets a real confirmed TOTP device; the
    session then holds exactly what django_otp.login stores after a verified
    code (the device's persistent id). Accounts without the obligation and
    without a device are left as they are.
    """
    from django_otp import DEVICE_ID_SESSION_KEY

    from safepassage.accounts import security

    if not (security.second_factor_enforced(user) or security.has_second_factor(user)):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = totp_device(user).persistent_id
    # The second-factor page also starts the re-authentication window (mfa_views.second_factor).
    session[security.REAUTH_AT] = time.time()
    session.save()


@pytest.fixture(autouse=True)
def second_factor_at_login(request: pytest.FixtureRequest, monkeypatch: Any) -> None:
    """The test client's login()/force_login() also pass the second factor (pass_second_factor).

    Tests of the second factor itself use the marker ``raw_login`` and go through the pages.
    """
    if request.node.get_closest_marker("raw_login"):
        return
    from django.test import Client

    original = Client._login  # type: ignore[attr-defined]

    def login_and_verify(self: Client, user: Any, backend: str | None = None) -> None:
        original(self, user, backend)
        pass_second_factor(self, user)

    monkeypatch.setattr(Client, "_login", login_and_verify)


@pytest.fixture(autouse=True)
def site_language() -> None:
    """Each test starts in the site's own language, whatever order the tests run in.

    A request in another language leaves that language active in the thread that made it,
    and a later test in the same process would otherwise get its messages in it.
    """
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def fresh_petition_memo() -> None:
    """Each test starts without petitions remembered by an earlier one (same slugs, new rows)."""
    from safepassage.campaigns.models import forget_remembered_petitions

    forget_remembered_petitions()


@pytest.fixture(scope="session", autouse=True)
def collected_static() -> None:
    """Production settings serve hashed static names, which need the manifest.

    A copy of the files collected before from the same code (kept.py), or collectstatic.
    """
    kept.collected(
        ROOT,
        Path(settings.STATIC_ROOT),
        lambda: call_command("collectstatic", interactive=False, verbosity=0),
    )


@pytest.fixture(scope="session", autouse=True)
def city_index_of_var() -> None:
    """The city index of var/, built once (by the first to need it: kept.py, a benchmark
    or a pytest worker; the others wait), linked into this run's data directory.

    Without it each pytest worker built its own: about 15 s of CPU each. The
    file is never written in place (a new build replaces it), so a link is safe.
    """
    mine = cityindex.index_path()
    shared = ROOT / "var" / mine.name
    cityindex.build_once(shared)
    if mine.exists() or mine == shared:
        return
    mine.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(shared, mine)
    except OSError:  # another file system
        shutil.copy2(shared, mine)


@pytest.fixture(scope="session")
def django_db_setup(
    django_test_environment: None, django_db_blocker: Any, django_db_modify_db_settings: None
) -> Iterator[None]:
    """pytest-django's test database, made from the schema kept by an earlier run (kept.py).

    Applying every migration costs each worker about 13 s of CPU in each pass.
    From a copy, Django's migrate (keepdb) finds them all applied and only
    sends its signals. The database is destroyed after the run either way.
    """

    def setup(keepdb: bool) -> list[Any]:
        return list(setup_databases(verbosity=0, interactive=False, keepdb=keepdb))

    made: list[list[Any]] = []

    def migrate() -> None:
        made.append(setup(keepdb=False))
        connections.close_all()  # the copy is made of a closed database

    with django_db_blocker.unblock():
        name = cast(Any, connection.creation)._get_test_db_name()  # Django's, not in its stubs
        if connection.vendor == "sqlite":
            for leftover in (name, f"{name}-wal", f"{name}-shm"):  # of a killed run
                Path(leftover).unlink(missing_ok=True)
            copied = kept.sqlite_schema(ROOT, Path(name), migrate)
        else:
            copied = kept.postgres_schema(ROOT, _database_url(), name, migrate)
        config = setup(keepdb=True) if copied else made[0]
    yield
    with django_db_blocker.unblock():
        teardown_databases(config, verbosity=0)


@pytest.fixture(scope="session", autouse=True)
def static_files_read_once() -> Iterator[None]:
    """WhiteNoise reads the collected static files once per client, not once per test client.

    A server loads its middleware once; the test client loads it again for
    every ``Client()``, and WhiteNoise's reads every file under STATIC_ROOT
    (about 0.14 s each time, a tenth of the suite's time). What it made from a
    directory is kept for the same files (paths, sizes, times) and the same
    configuration, so a changed file or setting is read again.
    """
    from whitenoise.base import WhiteNoise, scantree

    original = WhiteNoise.update_files_dictionary
    made: dict[tuple[Any, ...], dict[str, Any]] = {}

    def update_files_dictionary(self: WhiteNoise, root: str, prefix: str) -> None:
        test = self.immutable_file_test
        key = (
            type(self), root, prefix, self.max_age, self.allow_all_origins, self.charset,
            self.index_file, self.add_headers_function, getattr(test, "__func__", test),
            getattr(self, "static_prefix", None), frozenset(self.media_types.types_map.items()),
            frozenset((path, st.st_size, st.st_mtime_ns) for path, st in scantree(root)),
        )  # fmt: skip
        if key not in made:
            before = dict(self.files)
            original(self, root, prefix)
            made[key] = {url: f for url, f in self.files.items() if before.get(url) is not f}
        self.files.update(made[key])

    WhiteNoise.update_files_dictionary = update_files_dictionary  # type: ignore[method-assign]
    yield
    WhiteNoise.update_files_dictionary = original  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def postgresql_flushes_by_delete() -> Iterator[None]:
    """A transactional test's tables are emptied on PostgreSQL with DELETE, not TRUNCATE.

    Django empties every table after such a test (``flush``); on PostgreSQL
    that is one TRUNCATE of every table, which makes new files for each
    table and index: about 0.5 s, after each of hundreds of tests. Deleting
    the few rows a test left takes about 15 ms. Every foreign key Django
    makes on PostgreSQL is deferred to the commit (and the suite has no
    triggers), so the order of the statements does not matter. Sequences
    and cascades (``reset_sequences``, ``available_apps``) keep Django's
    own statements.
    """
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(
        self: DatabaseOperations,
        style: Any,
        tables: Sequence[str],
        *,
        reset_sequences: bool = False,
        allow_cascade: bool = False,
    ) -> list[str]:
        if reset_sequences or allow_cascade or not tables:
            return original(
                self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
            )
        return ["SET CONSTRAINTS ALL DEFERRED"] + [
            f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(self.quote_name(table))}"
            for table in tables
        ]

    DatabaseOperations.sql_flush = sql_flush  # type: ignore[method-assign,assignment]
    yield
    DatabaseOperations.sql_flush = original  # type: ignore[method-assign]


def sign_data(**overrides: str) -> dict[str, str]:
    """A complete, valid signing form; override fields per test."""
    data = {
        "first_name": "Ji-woo",
        "last_name": "Kim",
        "email": "ji-woo.kim@example.org",
        "city": "Seoul",
        "country": "KR",
        "region": "KR-11",
        "contact": "count",
        "publish_name": "yes",
    }
    data.update(overrides)
    return data


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the test database (scripts/test's PostgreSQL pass)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tests without the test database first, the others in pytest-django's order.

    pytest-django runs the transactional ones (every live server among them)
    after the others, which must find the database as the migrations left it.
    pytest-xdist's work stealing (``--dist worksteal``, pyproject.toml) gives
    each worker half of the tests in this order, and a worker that runs out
    takes tests from the end of the other's queue. A worker that steals twice
    runs the second, earlier batch after the first, so no test may count on
    what another leaves behind (a connection still open, a thread still running).

    With ``--database-tests-only`` the tests that never open the test database
    are left out: the second pass, on PostgreSQL, would only run them again as
    they ran on SQLite (the commands they start in fresh processes choose their
    own database, without DATABASE_URL).
    """

    def uses_database(item: pytest.Item) -> bool:
        fixtures = set(getattr(item, "fixturenames", ()))
        return bool(item.get_closest_marker("django_db") or {"db", "transactional_db"} & fixtures)

    if config.getoption("database_tests_only"):
        left_out = [item for item in items if not uses_database(item)]
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = [item for item in items if uses_database(item)]
    items.sort(key=uses_database)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Remove the write-lock file of this run's own test database (one per run)."""
    test_name = settings.DATABASES["default"].get("TEST", {}).get("NAME")
    if test_name:
        Path(f"{test_name}.write-lock").unlink(missing_ok=True)
