"""Fixtures shared by every tier: a migrated store on SQLite and, when configured, PostgreSQL.

PostgreSQL is used when ``MONITOR_TEST_POSTGRES_URL`` is set (the test command
sets it to the machine's server). Each test gets its own schema there, and its
own SQLite file, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from monitor.store import Store, create_store_engine, migrate

# fuzz_counts prints how many examples each fuzz test tried, at the end of every run.
pytest_plugins = ["tests.support.fixtures", "tests.support.fuzz_counts"]

POSTGRES_URL_VARIABLE = "MONITOR_TEST_POSTGRES_URL"
REPO = Path(__file__).resolve().parent.parent
EXAMPLE_CATALOG = REPO / "examples" / "catalog.yaml"


def postgres_url() -> str | None:
    """The PostgreSQL server the tests may use, if any."""
    return os.environ.get(POSTGRES_URL_VARIABLE) or None


def _backends() -> list[object]:
    marks = [pytest.mark.postgres]
    if postgres_url() is None:
        marks.append(pytest.mark.skip(reason=f"{POSTGRES_URL_VARIABLE} is not set"))
    return ["sqlite", pytest.param("postgresql", marks=marks)]


@pytest.fixture(params=_backends())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a fresh SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'monitor.db'}"
        return
    base = postgres_url()
    assert base is not None
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_store_engine(base)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on the test database."""
    eng = create_store_engine(database_url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def store(engine: Engine) -> Store:
    """The monitor's store on a migrated test database."""
    return Store(engine)
