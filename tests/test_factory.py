"""The app factory and the configuration contract of DESIGN.md: every key, its default, where it comes from, and
what the app serves with and without channels configured."""

from __future__ import annotations

import pytest

import config as config_mod
from app import create_app

# DESIGN.md, "Outside contracts": key -> documented default (None: unset).
DOCUMENTED = {
    "DATABASE_URL": "sqlite:///instance/bot.db",
    "SECRET_KEY": None,  # random per start in dev (set by create_app, see below)
    "WECOM_CORP_ID": None,
    "WECOM_AGENT_ID": None,
    "WECOM_SECRET": None,
    "WECOM_TOKEN": None,
    "WECOM_AES_KEY": None,
    "WECOM_API_BASE": "https://qyapi.weixin.qq.com/cgi-bin/",
    "WECHAT_APP_ID": None,
    "WECHAT_APP_SECRET": None,
    "WECHAT_TOKEN": None,
    "WECHAT_AES_KEY": None,
    "WECHAT_API_BASE": "https://api.weixin.qq.com/cgi-bin/",
    "HR_ROBOT_WEBHOOK": None,
    "TIMEZONE": "Asia/Shanghai",
    "QUIET_HOURS": "22:00-08:00",
    "DEV_CHANNEL": False,
}
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"


@pytest.fixture
def clean_env(monkeypatch):
    """No configuration from the machine running the tests leaks into create_app."""
    for key in [*config_mod.DEFAULTS, "TESTING"]:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


@pytest.fixture
def make_app(clean_env, tmp_path, clock):
    apps = []

    def make(**cfg):
        app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'factory.db'}", **cfg}, clock=clock)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["bot"].engine.dispose()


# --- config.load ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(DOCUMENTED))
def test_every_documented_key_has_its_documented_default(key):
    cfg = config_mod.load(None, environ={})
    assert key in cfg, f"{key} is documented in DESIGN.md but config.load does not know it"
    assert cfg[key] == DOCUMENTED[key]


def test_the_environment_overrides_the_defaults():
    cfg = config_mod.load(None, environ={"TIMEZONE": "Asia/Hong_Kong", "QUIET_HOURS": "23:00-07:30",
                                         "DATABASE_URL": "postgresql://bot@db/bot", "OUTBOX_TICK_SECONDS": "5"})
    assert cfg["TIMEZONE"] == "Asia/Hong_Kong"
    assert cfg["QUIET_HOURS"] == "23:00-07:30"
    assert cfg["DATABASE_URL"] == "postgresql://bot@db/bot"
    assert cfg["OUTBOX_TICK_SECONDS"] == 5  # integers are parsed
    assert cfg["WECOM_API_BASE"] == DOCUMENTED["WECOM_API_BASE"]  # untouched keys keep their default


def test_an_empty_environment_variable_means_unset():
    assert config_mod.load(None, environ={"TIMEZONE": ""})["TIMEZONE"] == "Asia/Shanghai"


def test_unknown_environment_variables_are_ignored():
    assert "HOME_DIR_OF_SOMEONE" not in config_mod.load(None, environ={"HOME_DIR_OF_SOMEONE": "/root"})


def test_the_mapping_overrides_the_environment():
    cfg = config_mod.load({"TIMEZONE": "Europe/Paris", "DEV_CHANNEL": False},
                          environ={"TIMEZONE": "Asia/Tokyo", "DEV_CHANNEL": "1", "QUIET_HOURS": "21:00-09:00"})
    assert cfg["TIMEZONE"] == "Europe/Paris"
    assert cfg["DEV_CHANNEL"] is False
    assert cfg["QUIET_HOURS"] == "21:00-09:00"


def test_create_app_reads_the_environment(make_app, clean_env):
    clean_env.setenv("QUIET_HOURS", "23:00-07:00")
    clean_env.setenv("TIMEZONE", "Asia/Shanghai")
    app = make_app()
    assert app.config["QUIET_HOURS"] == "23:00-07:00"
    assert app.extensions["bot"].config["QUIET_HOURS"] == "23:00-07:00"


@pytest.mark.parametrize(
    "raw, expected",
    [("1", True), ("true", True), ("True", True), ("yes", True), ("on", True), (" ON ", True),
     ("0", False), ("false", False), ("no", False), ("off", False), ("nope", False)],
)
def test_dev_channel_strings_are_parsed(raw, expected):
    assert config_mod.load(None, environ={"DEV_CHANNEL": raw})["DEV_CHANNEL"] is expected
    assert config_mod.load({"DEV_CHANNEL": raw}, environ={})["DEV_CHANNEL"] is expected


@pytest.mark.parametrize("key", ["WECOM_AES_KEY", "WECHAT_AES_KEY"])
@pytest.mark.parametrize("bad", [AES_KEY[:-1], AES_KEY + "x", "short"])
def test_an_aes_key_of_the_wrong_length_is_refused(key, bad):
    with pytest.raises(ValueError, match="43"):
        config_mod.load({key: bad}, environ={})


def test_a_43_character_aes_key_is_accepted():
    assert config_mod.load({"WECOM_AES_KEY": AES_KEY}, environ={})["WECOM_AES_KEY"] == AES_KEY


def test_create_app_refuses_a_bad_aes_key_from_the_environment(clean_env, tmp_path, clock):
    clean_env.setenv("WECOM_AES_KEY", "too-short")
    with pytest.raises(ValueError, match="WECOM_AES_KEY"):
        create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}, clock=clock)


# --- create_app -------------------------------------------------------------------------------------------------


def test_without_channel_config_no_channel_endpoint_is_served(make_app):
    client = make_app().test_client()
    for path in ("/wecom/callback", "/wechat/callback", "/dev/chat", "/dev/chat/api/people"):
        assert client.get(path).status_code == 404, path
    assert client.post("/wecom/callback", data="<xml/>").status_code == 404
    assert client.post("/wechat/callback", data="<xml/>").status_code == 404
    assert client.post("/dev/chat/api/send", json={"user": "zhangsan", "text": "帮助"}).status_code == 404


def test_healthz_without_channels(make_app):
    resp = make_app().test_client().get("/healthz")
    assert resp.status_code == 200 and resp.is_json
    body = resp.get_json()
    assert body["database"] == "ok"
    assert body["worker"] == {"status": "missing"}
    assert body["channels"] == {"wecom": False, "wechat": False, "robot": False, "dev": False}
    assert body["outbox"] == {}


def test_healthz_reports_the_channels_and_a_live_worker(make_app, clock):
    from scheduler import lease

    app = make_app(DEV_CHANNEL=True, HR_ROBOT_WEBHOOK="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k",
                   WECOM_CORP_ID="ww_corp", WECOM_TOKEN="tok", WECOM_AES_KEY=AES_KEY)
    lease.hold(app.extensions["bot"].engine, "worker-1", clock.now())
    body = app.test_client().get("/healthz").get_json()
    assert body["channels"] == {"wecom": True, "wechat": False, "robot": True, "dev": True}
    assert body["worker"]["status"] == "ok" and body["worker"]["owner"] == "worker-1"


def test_with_dev_channel_the_chat_page_is_served(make_app):
    client = make_app(DEV_CHANNEL="1").test_client()
    resp = client.get("/dev/chat")
    assert resp.status_code == 200
    assert "text/html" in resp.content_type
    assert client.get("/wecom/callback").status_code == 404  # the dev channel turns on nothing else


def test_with_wecom_configured_its_callback_is_served(make_app):
    client = make_app(WECOM_CORP_ID="ww_corp", WECOM_TOKEN="tok", WECOM_AES_KEY=AES_KEY).test_client()
    assert client.get("/wecom/callback").status_code != 404
    assert client.get("/wechat/callback").status_code == 404


def test_a_secret_key_is_made_up_when_none_is_given(make_app):
    first, second = make_app(), make_app()
    assert first.config["SECRET_KEY"] and len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] != second.config["SECRET_KEY"]
    assert make_app(SECRET_KEY="from-the-operator").config["SECRET_KEY"] == "from-the-operator"


def test_the_app_holds_one_services_container_with_the_injected_clock(make_app, clock):
    app = make_app()
    svc = app.extensions["bot"]
    assert svc.clock is clock
    assert svc.config["TIMEZONE"] == "Asia/Shanghai"
    assert app.testing is True
