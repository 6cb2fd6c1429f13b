"""Fixtures shared by the whole suite: test mail, every store implementation, and Chromium."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import oneshot
import postgres
import pytest
import tools
from chromium import launched
from inprocess import InProcess
from liveserver import LiveServer
from mailfactory import build_mail, envelope_for

from mailtrap import Envelope, MemoryStore, MessageStore, SQLiteStore, loops
from mailtrap.loops import parse_loop
from mailtrap.web import create_app

MakeMail = Callable[..., bytes]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Chromium for one test module; each test works in a context of its own, which shares no
    cookies, storage or cache with any other. Module-scoped, not session-scoped: Playwright's
    sync API holds an event loop in the thread while it is open, and other tests in the same
    process call asyncio.run(). Modules that use it call `chromium.require_chromium()` first,
    to skip (or fail under CI) where there is none."""
    with launched() as chromium:
        yield chromium


@pytest.fixture(scope="session", autouse=True)
def event_loop_choice() -> Iterator[str]:
    """The loop the servers tests start run on, from `MAILTRAP_TEST_LOOP`: unset or "auto"
    changes nothing (uvloop where installed, as users get); "asyncio" makes uvloop look
    missing, so `--loop auto` (SMTPServer's default, and `mailtrap serve`'s in subprocesses,
    which get `MAILTRAP_LOOP=asyncio`) takes its fallback; "uvloop" insists, failing the
    session when it is missing. CI runs the SMTP suites both ways (.ci/run)."""
    choice = parse_loop(os.environ.get("MAILTRAP_TEST_LOOP", "auto"))
    with pytest.MonkeyPatch.context() as patch:
        if choice == "asyncio":
            patch.setattr(loops, "uvloop_module", lambda: None)
            patch.setenv("MAILTRAP_LOOP", "asyncio")
        elif choice == "uvloop" and loops.uvloop_module() is None:
            pytest.fail(
                "MAILTRAP_TEST_LOOP=uvloop, but uvloop is not installed; pip install uvloop"
            )
        yield choice


@pytest.fixture
def make_mail() -> MakeMail:
    """`build_mail`: an RFC 5322 message as bytes."""
    return build_mail


@pytest.fixture
def envelope() -> Callable[..., Envelope]:
    """`envelope_for(raw, *extra_rcpts)`: an envelope addressed like the message."""
    return envelope_for


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` (README's command): half again as many workers as usable CPUs, at least two.
    About a third of the suite's wall time is waiting rather than computing (servers and
    PostgreSQL clusters starting, subprocesses, sockets, Chromium), which one worker a CPU left
    idle: on 2 cores, 3 workers ran the suite in 452 s where 2 took 531 s."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(2, (cpus or 1) * 3 // 2)


def pytest_configure(config: pytest.Config) -> None:
    """Coverage's fail_under (pyproject.toml) speaks for the whole suite, as README's command
    runs it. A run of chosen files, or with -m/-k, still reports what it covered, but is not
    failed for covering less."""
    # httptools (uvicorn's HTTP parser) before any pytester inline run: one that imports it
    # first drops it from sys.modules after, and the re-import makes new exception classes in
    # its Python part while the C parser still raises the old ones, so uvicorn missed its
    # HttpParserUpgrade and dropped every WebSocket handshake (tests/web/test_events.py after
    # tests/plugin/test_plugin.py in one process).
    importlib.import_module("httptools")
    cov: Any = config.pluginmanager.get_plugin("_cov")  # pytest-cov, when --cov is on
    whole = config.args_source is pytest.Config.ArgsSource.TESTPATHS
    if cov is not None and not (whole and not config.option.markexpr and not config.option.keyword):
        cov.options.cov_fail_under = None


# A new store implementation adds one entry here and runs the whole suite.
StoreFactory = Callable[..., MessageStore]

IMPLEMENTATIONS: dict[str, Callable[..., MessageStore]] = {
    "memory": lambda tmp_path, **kw: MemoryStore(**kw),
    "sqlite": lambda tmp_path, **kw: SQLiteStore(tmp_path / "mail.db", **kw),
}
# Stores that need a server, which tests/storage's contract suites add to IMPLEMENTATIONS
# (tests/storage/conftest.py): each is built by `store_factory` below.
POSTGRES = "postgres"
_STORAGE_TESTS = Path(__file__).parent / "storage"


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database for this process (an xdist worker has its own): the one
    `MAILTRAP_TEST_DATABASE_URL` names, else a throwaway cluster; skips (fails under CI) when
    there is neither. Tests make schemas of their own in it (`postgres.new_schema`)."""
    tools.python_package("psycopg")
    with postgres.test_database() as url:
        yield url


@pytest.fixture
def schema(postgres_url: str) -> Iterator[str]:
    """A schema name of this test's own in `postgres_url`'s database (made by whatever uses
    it, as mailtrap makes its schema on start), dropped after the test."""
    name = postgres.new_schema()
    yield name
    postgres.drop_schema(postgres_url, name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """`store_kind`, which implementation `store_factory` builds: each of IMPLEMENTATIONS,
    and in tests/storage (the contract suites) PostgreSQL too. The rest of the suite (web,
    plugin) stays on the stores that need no server, whose behaviour the contract makes the
    same."""
    if "store_kind" in metafunc.fixturenames:
        kinds = sorted(IMPLEMENTATIONS)
        if _STORAGE_TESTS in metafunc.definition.path.parents:
            kinds = sorted([*kinds, POSTGRES])
        metafunc.parametrize("store_kind", kinds)


@pytest.fixture
def store_factory(
    request: pytest.FixtureRequest, store_kind: str, tmp_path: Path
) -> Iterator[StoreFactory]:
    """Builds stores of one implementation (each call a fresh one) and closes them after.
    PostgreSQL stores each get a schema of their own, dropped after the test."""
    made: list[MessageStore] = []
    schemas: list[str] = []

    def factory(**kwargs: Any) -> MessageStore:
        path = tmp_path / f"store{len(made)}"
        path.mkdir()
        if store_kind == POSTGRES:
            from mailtrap.storage.postgres import PostgresStore

            schemas.append(postgres.new_schema())
            store: MessageStore = PostgresStore(
                request.getfixturevalue("postgres_url"), schema=schemas[-1], **kwargs
            )
        else:
            store = IMPLEMENTATIONS[store_kind](path, **kwargs)
        made.append(store)
        return store

    yield factory
    for store in made:
        store.close()
    for schema in schemas:
        postgres.drop_schema(request.getfixturevalue("postgres_url"), schema)


@pytest.fixture
def store(store_factory: StoreFactory) -> MessageStore:
    return store_factory()


@pytest.fixture
def live(store: MessageStore) -> Iterator[tuple[InProcess, httpx.Client]]:
    """The web app over `store`, in-process (no socket, no uvicorn), and a client for it."""
    with InProcess(create_app(store)) as app, app.client() as client:
        yield app, client


@pytest.fixture
def served(store: MessageStore) -> Iterator[tuple[LiveServer, httpx.Client]]:
    """`store` served by uvicorn over real HTTP, and a client for it: for what only a server
    does (WebSockets, bytes on the wire, other programs as clients)."""
    server = LiveServer(create_app(store))
    with server, httpx.Client(base_url=server.url, verify=oneshot.TLS) as client:
        yield server, client
