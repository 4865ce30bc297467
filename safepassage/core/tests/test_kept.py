"""The set-up kept from one run to the next (kept.py): keyed by what made it, never stale."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from psycopg import sql

from conftest import _database_url
from safepassage.core.tests import kept


def a_checkout(root: Path) -> Path:
    for name, text in {
        "pyproject.toml": "[project]\nname = 'x'\n",
        "safepassage/models.py": "A = 1\n",
        "safepassage/tests/test_a.py": "B = 1\n",
        "templates/base.html": "<html></html>\n",
        "static/site.css": "body {}\n",
    }.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_change_to_the_code_or_the_static_files_makes_a_new_key(tmp_path: Path) -> None:
    root = a_checkout(tmp_path)
    schema, static = kept.schema_key(root), kept.static_key(root)
    assert schema != static

    (root / "safepassage" / "tests" / "test_a.py").write_text("B = 2\n")  # tests: no change
    assert (kept.schema_key(root), kept.static_key(root)) == (schema, static)

    (root / "static" / "site.css").write_text("body { color: black }\n")
    assert kept.schema_key(root) == schema
    assert kept.static_key(root) not in (static, schema)

    (root / "safepassage" / "models.py").write_text("A = 2\n")
    assert kept.schema_key(root) != schema


def test_a_sqlite_schema_is_made_once_then_copied_and_other_keys_removed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept, "KEPT", tmp_path / "kept")
    root = a_checkout(tmp_path / "checkout")
    made: list[Path] = []

    def migrate(target: Path) -> None:
        made.append(target)
        with sqlite3.connect(target) as db:
            db.execute("CREATE TABLE migrated (n INTEGER)")
            db.execute("INSERT INTO migrated VALUES (7)")
        db.close()

    first, second = tmp_path / "first.sqlite3", tmp_path / "second.sqlite3"
    assert kept.sqlite_schema(root, first, lambda: migrate(first)) is False
    assert kept.sqlite_schema(root, second, lambda: migrate(second)) is True
    assert made == [first]
    with sqlite3.connect(second) as db:
        assert db.execute("SELECT n FROM migrated").fetchall() == [(7,)]
    db.close()
    assert oct(second.stat().st_mode & 0o777) == "0o600"

    (root / "safepassage" / "models.py").write_text("A = 3\n")  # new code: made again
    third = tmp_path / "third.sqlite3"
    assert kept.sqlite_schema(root, third, lambda: migrate(third)) is False
    assert made == [first, third]
    copies = (tmp_path / "kept" / "schemas").glob("*.sqlite3")
    assert [p.name for p in copies] == [f"{kept.schema_key(root)}.sqlite3"]


def test_who_comes_while_a_schema_is_being_made_waits_and_copies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept, "KEPT", tmp_path / "kept")
    root = a_checkout(tmp_path / "checkout")
    started, made = threading.Event(), []

    def slow_migrate(target: Path) -> None:
        started.set()
        time.sleep(0.5)  # the other comes meanwhile
        made.append(target)
        sqlite3.connect(target).close()

    first, second = tmp_path / "first.sqlite3", tmp_path / "second.sqlite3"
    results: dict[Path, bool] = {}
    maker = threading.Thread(
        target=lambda: results.update(
            {first: kept.sqlite_schema(root, first, lambda: slow_migrate(first))}
        )
    )
    maker.start()
    started.wait(5)
    results[second] = kept.sqlite_schema(root, second, lambda: slow_migrate(second))
    maker.join(5)
    assert made == [first]
    assert results == {first: False, second: True}


def test_static_files_are_collected_once_then_copied_over_what_was_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept, "KEPT", tmp_path / "kept")
    root = a_checkout(tmp_path / "checkout")
    collections: list[Path] = []

    def collect(static_root: Path) -> None:
        collections.append(static_root)
        static_root.mkdir(parents=True, exist_ok=True)
        (static_root / "staticfiles.json").write_text("{}")

    first, second = tmp_path / "a" / "static", tmp_path / "b" / "static"
    assert kept.collected(root, first, lambda: collect(first)) is False
    second.mkdir(parents=True)
    (second / "stale.css").write_text("old")
    assert kept.collected(root, second, lambda: collect(second)) is True
    assert collections == [first]
    assert sorted(p.name for p in second.iterdir()) == ["staticfiles.json"]


@pytest.mark.django_db
def test_a_postgresql_schema_is_kept_as_a_template_and_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        pytest.skip("PostgreSQL only: the suite's PostgreSQL pass runs this")
    # Templates of other keys are removed when one is kept: only this test's own.
    monkeypatch.setattr(kept, "TEMPLATE_PREFIX", f"kept_test_{os.getpid()}_template_")
    root = a_checkout(tmp_path)
    server = _database_url()
    names = [f"kept_test_{os.getpid()}_{n}" for n in (1, 2)]
    made: list[str] = []

    def url(name: str) -> str:
        return urllib.parse.urlsplit(server)._replace(path=f"/{name}").geturl()

    def migrate(name: str) -> None:
        made.append(name)
        with kept._admin(server) as admin:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        with psycopg.connect(url(name), autocommit=True) as db:
            db.execute("CREATE TABLE migrated (n integer)")
            db.execute("INSERT INTO migrated VALUES (7)")

    template = kept.TEMPLATE_PREFIX + kept.schema_key(root)
    with kept._admin(server) as admin:  # of other code: removed when this one is kept
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(template + "x")))
    try:
        assert kept.postgres_schema(root, server, names[0], lambda: migrate(names[0])) is False
        assert kept.postgres_schema(root, server, names[1], lambda: migrate(names[1])) is True
        assert made == [names[0]]
        with psycopg.connect(url(names[1])) as db:
            assert db.execute("SELECT n FROM migrated").fetchall() == [(7,)]
        with kept._admin(server) as admin:
            templates = admin.execute(
                "SELECT datname FROM pg_database WHERE starts_with(datname, %s)",
                [kept.TEMPLATE_PREFIX],
            ).fetchall()
        assert templates == [(template,)]
    finally:
        with kept._admin(server) as admin:
            for name in [*names, template, template + "x"]:
                admin.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
