"""create_app(config) and the `flask --app app ...` commands. Wires everything; holds no logic of its own."""

from __future__ import annotations

import logging
import secrets
import sys
import uuid
from pathlib import Path
from typing import Any, Mapping

import click
from flask import Flask, jsonify
from sqlalchemy import text
from sqlmodel import Session

import config as config_mod
import services as services_mod
from clock import Clock, SystemClock
from models import create_all, make_engine

ROOT = Path(__file__).parent


def create_app(config: Mapping[str, Any] | None = None, *, clock: Clock | None = None, http=None) -> Flask:
    """The app factory. `config` overrides the environment; `clock` and `http` are injected by tests."""
    cfg = config_mod.load(config)
    app = Flask(__name__, instance_path=str(ROOT / "instance"))
    app.config.update(cfg)
    if not cfg.get("SECRET_KEY"):
        if not cfg.get("DEV_CHANNEL") and not cfg.get("TESTING"):
            app.logger.warning("SECRET_KEY is not set: console sessions will not survive a restart")
        app.config["SECRET_KEY"] = secrets.token_hex(32)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a line per tick every 2 s drowns everything

    url = cfg["DATABASE_URL"]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        (ROOT / url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        url = "sqlite:///" + str(ROOT / url.removeprefix("sqlite:///"))
    engine = make_engine(url)
    if url.startswith("sqlite"):
        create_all(engine)  # embedded default: the schema is created on first start
    clock = clock or SystemClock(cfg["TIMEZONE"])
    svc = services_mod.build(cfg, engine, clock, http)
    app.extensions["bot"] = svc
    if cfg.get("WARM_UP") and not cfg.get("TESTING"):
        svc.warm_up()

    from bot import devchat, wechat, wecom
    from dashboard import bp as dashboard_bp

    if config_mod.wecom_enabled(cfg):
        app.register_blueprint(wecom.bp)
    if config_mod.wechat_enabled(cfg):
        app.register_blueprint(wechat.bp)
    if cfg.get("DEV_CHANNEL"):
        app.register_blueprint(devchat.bp)
    app.register_blueprint(dashboard_bp)

    @app.get("/healthz")
    def healthz():
        from scheduler import lease

        body: dict[str, Any] = {"channels": _channels(cfg)}
        try:
            with Session(engine) as db:
                db.exec(text("SELECT 1"))
            body["database"] = "ok"
        except Exception as exc:  # report, do not crash the health check
            body["database"] = f"error: {exc.__class__.__name__}"
            return jsonify(body), 503
        body["worker"] = lease.status(engine, clock.now())
        body["outbox"] = svc.outbox.counts()
        return jsonify(body)

    register_cli(app)
    return app


def _channels(cfg: Mapping[str, Any]) -> dict[str, bool]:
    return {
        "wecom": config_mod.wecom_enabled(cfg),
        "wechat": config_mod.wechat_enabled(cfg),
        "robot": bool(cfg.get("HR_ROBOT_WEBHOOK")),
        "dev": bool(cfg.get("DEV_CHANNEL")),
    }


def register_cli(app: Flask) -> None:
    def svc():
        return app.extensions["bot"]

    @app.cli.command("init-db")
    def init_db():
        """Create every table (idempotent)."""
        create_all(svc().engine)
        click.echo("database ready")

    @app.cli.command("demo")
    @click.option("--reset", is_flag=True, help="Delete everything first.")
    def demo_cmd(reset: bool):
        """Seed the demo company, cohort, mentors, HR and candidates."""
        import demo

        create_all(svc().engine)
        with Session(svc().engine) as db:
            result = demo.seed(db, svc().clock, reset=reset)
        if result["created"]:
            click.echo(f"demo seeded: {result['candidates']} candidates; try zhangsan (candidate), lisi (mentor), wangwu (HR)")
        else:
            click.echo(f"demo already present ({result['candidates']} candidates); use --reset to start over")

    @app.cli.command("worker")
    def worker_cmd():
        """Run the scheduler process (outbox dispatch and planners). Only one is active at a time."""
        from scheduler import worker

        worker.run(svc())

    @app.cli.command("simulate")
    @click.option("--candidates", default=200, show_default=True, type=click.IntRange(min=1), help="Synthetic candidates.")
    @click.option("--days", default=28, show_default=True, type=click.IntRange(min=1), help="Simulated days.")
    @click.option("--seed", default=1, show_default=True, type=int, help="Random seed (same seed, same run).")
    @click.option("--out", default="simulation.csv", show_default=True, type=click.Path(dir_okay=False),
                  help="CSV file: one row per planned message.")
    @click.option("--start", default=None, help="First simulated day, YYYY-MM-DD (default: next Monday).")
    def simulate_cmd(candidates: int, days: int, seed: int, out: str, start: str | None):
        """Run the real planners and delivery policy over synthetic candidates on a simulated clock; sends nothing."""
        from datetime import date, datetime, time

        from scheduler import simulate

        s = svc()
        begin = (datetime.combine(date.fromisoformat(start), time(0), s.clock.tz) if start
                 else simulate.next_monday(s.clock.now(), s.clock.tz))
        simulate.run(s.config, candidates=candidates, days=days, seed=seed, out=out, start=begin, echo=click.echo)

    @app.cli.command("escalations")
    @click.option("--open", "open_only", is_flag=True, help="Only cases not closed yet.")
    @click.option("--csv", "csv_path", default=None, type=click.Path(dir_okay=False),
                  help="Also write the cases to this CSV file.")
    def escalations_cmd(open_only: bool, csv_path: str | None):
        """HR cases: a table, a summary (contacted share, median / p90 hours to first contact, outcomes), a CSV."""
        import csv

        from engagement import escalations

        s = svc()
        with Session(s.engine) as db:
            pairs = escalations.cases(db, open_only=open_only)
            rows = escalations.report_rows(pairs, s.clock.tz)
            summary = escalations.summarize(esc for esc, _ in pairs)
        click.echo(escalations.format_table(rows) if rows else "no cases")
        click.echo(escalations.format_summary(summary))
        if csv_path:
            with open(csv_path, "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=escalations.REPORT_FIELDS)
                writer.writeheader()
                writer.writerows(rows)
            click.echo(f"wrote {len(rows)} rows to {csv_path}")

    @app.cli.command("chat")
    @click.option("--as", "as_user", required=True, help="Channel user id to chat as, e.g. zhangsan.")
    def chat_cmd(as_user: str):
        """Chat with the bot in the terminal, through the same pipeline and outbox as the real channels."""
        from bot import pipeline
        from bot.inbound import Inbound
        from models import Channel

        s = svc()
        from bot.devchat import DevSender

        s.outbox.senders.setdefault(Channel.dev, DevSender())
        click.echo(f"chatting as {as_user}; empty line or Ctrl-D to quit")
        for line in sys.stdin if not sys.stdin.isatty() else iter(lambda: click.prompt("你", default="", show_default=False), ""):
            line = line.strip()
            if not line:
                break
            inbound = Inbound(channel=Channel.dev, user_id=as_user, kind="text", text=line,
                              received_at=s.clock.now(), msg_id=uuid.uuid4().hex)
            result = pipeline.process(s, inbound)
            for item in s.outbox.deliver_now(result.reply_ids):
                click.echo(click.style("bot> ", fg="green") + item.text)

