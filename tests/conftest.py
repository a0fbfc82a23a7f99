"""Shared fixtures: a frozen clock, the fake platform at the HTTP seam, an app on a fresh SQLite file with the
demo company, and a guard that fails any real network connection."""

from __future__ import annotations

import socket
from datetime import datetime

import pytest
from sqlmodel import Session

import demo
from app import create_app
from clock import FrozenClock
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


@pytest.fixture
def config(tmp_path) -> dict:
    return {**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{tmp_path / 'test.db'}"}


@pytest.fixture
def app(config, clock, fake_api):
    app = create_app(config, clock=clock)
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
