"""The history databases the contract runs against: a SQLite file per test, and a real PostgreSQL.

PostgreSQL: ``CCSWITCH_TEST_POSTGRES_URL``, else ``postgresql://postgres@127.0.0.1:5432/test`` (trust auth). Each
test gets its own schema (``search_path`` set in the URL) and an ``application_name`` naming its connections, and
the schema is dropped afterwards. The PostgreSQL cases are skipped, saying why, only when the server does not
answer.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest

POSTGRES_URL = os.environ.get("CCSWITCH_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Database:
    url: str
    application_name: str | None = None  # PostgreSQL: names this test's connections in pg_stat_activity


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Database:
    return Database(f"sqlite:///{tmp_path / 'data' / 'history.sqlite'}")


@pytest.fixture
def postgres_database() -> Iterator[Database]:
    name = f"ccswitch_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {POSTGRES_URL} is unreachable: {exc}")
    with admin:
        admin.execute(f"CREATE SCHEMA {name}")
        try:
            options = quote(f"-csearch_path={name}")
            yield Database(f"{POSTGRES_URL}?options={options}&application_name={name}", application_name=name)
        finally:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (name,))
            admin.execute(f"DROP SCHEMA {name} CASCADE")


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    """Each contract test runs once per backend."""
    database: Database = request.getfixturevalue(f"{request.param}_database")
    return database


def terminate_connections(database: Database) -> int:
    """Kill this test's server-side connections, as a PostgreSQL restart would; returns how many."""
    assert database.application_name is not None
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        rows = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s",
                             (database.application_name,)).fetchall()
    return len(rows)
