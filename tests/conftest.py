"""Shared fixtures: a frozen clock, the fake platform at the HTTP seam, an app on a fresh SQLite file with the
demo company, and a guard that fails any real network connection."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import uuid
from datetime import datetime

import pytest
from sqlmodel import Session

import demo
from app import create_app
from clock import FrozenClock
from models import create_all
from tests.fakes.platform import FakePlatform

ROBOT_WEBHOOK = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=test-robot-key"

TEST_CONFIG = {
    "TESTING": True,
    "DEV_CHANNEL": True,
    "WECOM_CORP_ID": "ww_test_corp",
    "WECOM_AGENT_ID": "1000002",
    "WECOM_SECRET": "test-wecom-secret",
    "WECOM_TOKEN": "test-wecom-token",
    "WECOM_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
    "WECHAT_APP_ID": "wx_test_app",
    "WECHAT_APP_SECRET": "test-oa-secret",
    "WECHAT_TOKEN": "test-oa-token",
    "WECHAT_AES_KEY": "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
    "HR_ROBOT_WEBHOOK": ROBOT_WEBHOOK,
}

# A Monday morning in Shanghai; the demo cohort trains 21 days later.
NOW = datetime(2026, 11, 23, 10, 0)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any connection that is not to this machine fails the test (the fakes answer before any socket opens)."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and self.family != socket.AF_UNIX:
            raise AssertionError(f"test tried to reach the network: {address!r}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(NOW, "Asia/Shanghai")


@pytest.fixture
def fake_api():
    with FakePlatform() as fake:
        yield fake


# --- database backends ----------------------------------------------------------------------------------------
#
# Every test runs on SQLite. Modules marked `pytestmark = pytest.mark.backends` run a second time on a real
# PostgreSQL server, started once per session from Debian's postgresql package when it is installed (skipped
# otherwise), each test in a fresh database.


def pytest_generate_tests(metafunc):
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("backends"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request) -> str:
    return getattr(request, "param", "sqlite")


def _pg_bin(name: str) -> str | None:
    return shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)


@pytest.fixture(scope="session")
def postgres_socket():
    """A throw-away PostgreSQL cluster listening only on a Unix socket; its directory is the `host`."""
    import tempfile
    from pathlib import Path

    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries are not installed")
    # Not under pytest's tmp dir: that one is private to root, and the server runs as another user.
    base = Path(tempfile.mkdtemp(prefix="offerbot-pg-"))
    prefix: list[str] = []
    if os.geteuid() == 0:  # initdb refuses to run as root
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(base, user)
        prefix = ["runuser", "-u", user, "--"]
    data = base / "data"
    subprocess.run(prefix + [initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
                   check=True, capture_output=True)
    opts = f"-k {base} -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    subprocess.run(prefix + [pg_ctl, "-D", str(data), "-o", opts, "-l", str(base / "log"), "-w", "start"],
                   check=True, capture_output=True)
    yield str(base)
    subprocess.run(prefix + [pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
    shutil.rmtree(base, ignore_errors=True)


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@pytest.fixture
def database_url(backend, tmp_path, request):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    import psycopg

    host = request.getfixturevalue("postgres_socket")
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql://postgres@/{name}?host={host}"
    with psycopg.connect(host=host, user="postgres", dbname="postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def config(database_url) -> dict:
    return {**TEST_CONFIG, "DATABASE_URL": database_url}


@pytest.fixture
def app(config, clock, fake_api):
    app = create_app(config, clock=clock)
    create_all(app.extensions["bot"].engine)  # SQLite gets it in create_app; PostgreSQL through `init-db`
    with Session(app.extensions["bot"].engine) as db:
        demo.seed(db, clock)
    yield app
    app.extensions["bot"].engine.dispose()


@pytest.fixture
def svc(app):
    return app.extensions["bot"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(svc):
    with Session(svc.engine) as session:
        yield session
