"""The `flask --app app ...` commands, through Flask's CLI runner: demo (idempotent, --reset), init-db, chat,
escalations."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, func, select

import demo
from app import create_app
from models import Candidate, Channel, Message
from tests.support.dialog import say


@pytest.fixture
def bare_app(config, clock, fake_api):
    """An app on a fresh database with the schema but no demo company."""
    app = create_app(config, clock=clock)
    yield app
    app.extensions["bot"].engine.dispose()


def _count(app, model) -> int:
    with Session(app.extensions["bot"].engine) as db:
        return db.exec(select(func.count()).select_from(model)).one()


def test_demo_seeds_once_and_is_idempotent(bare_app):
    runner = bare_app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert f"demo seeded: {len(demo.CANDIDATES)} candidates" in first.output
    assert "zhangsan" in first.output and "lisi" in first.output and "wangwu" in first.output
    assert _count(bare_app, Candidate) == len(demo.CANDIDATES)

    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0, second.output
    assert f"demo already present ({len(demo.CANDIDATES)} candidates)" in second.output
    assert "--reset" in second.output
    assert _count(bare_app, Candidate) == len(demo.CANDIDATES)


def test_demo_reset_seeds_afresh(app, svc, db):
    say(svc, "zhangsan", "帮助")  # a conversation (messages, outbox rows) that reset must clear as well
    zhangsan = db.exec(select(Candidate).where(Candidate.channel_user_id == "zhangsan")).one()
    zhangsan.name = "张三丰"
    db.add(zhangsan)
    db.add(Candidate(name="路人", channel=Channel.wecom, channel_user_id="passerby"))
    db.commit()

    result = app.test_cli_runner().invoke(args=["demo", "--reset"])
    assert result.exit_code == 0, result.output
    assert f"demo seeded: {len(demo.CANDIDATES)} candidates" in result.output
    db.expire_all()
    names = {c.channel_user_id: c.name for c in db.exec(select(Candidate))}
    assert names["zhangsan"] == "张三"
    assert "passerby" not in names and len(names) == len(demo.CANDIDATES)
    assert db.exec(select(Message)).all() == []


def test_init_db_creates_every_table(bare_app):
    engine = bare_app.extensions["bot"].engine
    SQLModel.metadata.drop_all(engine)
    assert sa.inspect(engine).get_table_names() == []
    result = bare_app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "database ready" in result.output
    assert set(sa.inspect(engine).get_table_names()) == set(SQLModel.metadata.tables)
    again = bare_app.test_cli_runner().invoke(args=["init-db"])  # idempotent
    assert again.exit_code == 0 and "database ready" in again.output


def test_chat_as_a_candidate_answers_each_line(app):
    result = app.test_cli_runner().invoke(args=["chat", "--as", "zhangsan"], input="帮助\n还有几天培训\n")
    assert result.exit_code == 0, result.output
    assert "chatting as zhangsan" in result.output
    answers = [line for line in result.output.splitlines() if line.startswith("bot> ")]
    assert len(answers) >= 2, result.output
    assert "入职小助手" in result.output and "「还有几天培训」" in result.output  # the help list
    assert "21 天" in result.output and "12月14日" in result.output  # the days until training
    assert result.output.index("入职小助手") < result.output.index("21 天")


def test_chat_stops_at_an_empty_line(app):
    result = app.test_cli_runner().invoke(args=["chat", "--as", "zhangsan"], input="帮助\n\n还有几天培训\n")
    assert result.exit_code == 0, result.output
    assert "入职小助手" in result.output and "21 天" not in result.output


def test_chat_as_someone_unknown_gets_the_not_registered_text(app, svc):
    result = app.test_cli_runner().invoke(args=["chat", "--as", "nobody"], input="帮助\n")
    assert result.exit_code == 0, result.output
    assert svc.content.render("not_registered") in result.output


def test_chat_needs_a_user(app):
    result = app.test_cli_runner().invoke(args=["chat"], input="帮助\n")
    assert result.exit_code == 2 and "--as" in result.output


def test_chat_works_without_the_dev_channel(tmp_path, clock, fake_api):
    """On a production box (no DEV_CHANNEL) `chat` is still the way to try the bot from a terminal."""
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}"}, clock=clock)
    try:
        assert app.test_cli_runner().invoke(args=["demo"]).exit_code == 0
        result = app.test_cli_runner().invoke(args=["chat", "--as", "zhangsan"], input="帮助\n")
        assert result.exit_code == 0, result.output
        assert "bot> 张三您好" in result.output
    finally:
        app.extensions["bot"].engine.dispose()


# --- escalations -------------------------------------------------------------------------------------------------


@pytest.fixture
def cases(svc, db, clock):
    """Three cases opened at 10:00 two days ago (Shanghai): contacted after 1 h and stayed, contacted after 5 h and
    reneged, still open and never contacted."""
    from engagement.escalations import close, mark_first_contact, open_escalation

    people = {c.channel_user_id: c for c in db.exec(select(Candidate))}
    opened = clock.now() - timedelta(days=2)
    made = []
    for n, (uid, level, reason) in enumerate([("zhangsan", "hesitation", "salary"),
                                              ("liuyang", "withdrawal", "competing_offer"),
                                              ("chenjing", "risk", "silence")]):
        made.append(open_escalation(db, people[uid], level=level, reason=reason, text="t", score=0.9, key=f"k{n}",
                                    now=opened + timedelta(minutes=n)))
    mark_first_contact(db, made[0], made[0].opened_at + timedelta(hours=1))
    close(db, made[0], "stayed", opened + timedelta(days=1), note="放心了")
    mark_first_contact(db, made[1], made[1].opened_at + timedelta(hours=5))
    close(db, made[1], "reneged", opened + timedelta(days=1), note="去了别家")
    db.commit()
    return [e.id for e in made]


def test_escalations_prints_every_case_and_the_summary(app, cases):
    result = app.test_cli_runner().invoke(args=["escalations"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["id", "candidate", "level", "reason", "opened", "first_contact", "hours_to_contact",
                                "outcome"]
    stayed, reneged, still_open = cases
    assert lines[1].split() == [str(still_open), "陈静", "risk", "silence", "2026-11-21", "10:02", "open"]
    assert lines[2].split() == [str(reneged), "刘洋", "withdrawal", "competing_offer", "2026-11-21", "10:01",
                                "2026-11-21", "15:01", "5.00", "reneged"]
    assert lines[3].split() == [str(stayed), "张三", "hesitation", "salary", "2026-11-21", "10:00", "2026-11-21",
                                "11:00", "1.00", "stayed"]
    assert lines[4] == ("3 cases (1 open); contacted 2/3 (67%); hours to first contact: median 3.0 h, p90 4.6 h; "
                        "outcomes: 1 stayed, 1 reneged")


def test_escalations_open_only(app, cases):
    result = app.test_cli_runner().invoke(args=["escalations", "--open"])
    assert result.exit_code == 0, result.output
    body = result.output.splitlines()[1:-1]
    assert [line.split()[0] for line in body] == [str(cases[2])]
    assert result.output.splitlines()[-1].startswith("1 cases (1 open); contacted 0/1 (0%)")


def test_escalations_writes_a_csv(app, cases, tmp_path):
    import csv

    out = tmp_path / "cases.csv"
    result = app.test_cli_runner().invoke(args=["escalations", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert f"wrote 3 rows to {out}" in result.output
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["id", "candidate", "level", "reason", "opened", "first_contact", "hours_to_contact",
                             "outcome", "closed", "note"]
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[cases[1]]["note"] == "去了别家" and by_id[cases[1]]["hours_to_contact"] == "5.00"
    assert by_id[cases[1]]["closed"] == "2026-11-22 10:00"
    assert by_id[cases[2]]["first_contact"] == "" and by_id[cases[2]]["outcome"] == "open"


def test_escalations_on_an_empty_database(app):
    result = app.test_cli_runner().invoke(args=["escalations", "--open"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["no cases", "0 cases (0 open); contacted 0/0 (-); hours to first contact: "
                                          "median -, p90 -; outcomes: 0 stayed, 0 reneged"]
