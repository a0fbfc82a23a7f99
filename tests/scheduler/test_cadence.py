"""The cadence: pure planners at their edges (a frozen `now`, no database), then the set-based runner against the
demo company (SQLite, and PostgreSQL when installed): dedupe on re-planning, a moved start date, a renege, stale
messages, the Official Account's window and template stand-in, HR messages that fit the robot, the bulk path, and
the caps through the outbox (pending the outbox wiring)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from sqlmodel import Session, select

from content import shared
from models import (
    CadenceState,
    Candidate,
    CandidateStatus,
    Category,
    Channel,
    Cohort,
    DocumentItem,
    OutboxItem,
    OutboxStatus,
    TaskCompletion,
)
from scheduler import cadence, ticks
from scheduler.cadence import CandidateView, CohortView, Doc, Env, History, Outgoing, plan

pytestmark = pytest.mark.backends

CONTENT = shared()
ENV = Env(tz=__import__("zoneinfo").ZoneInfo("Asia/Shanghai"), tasks={int(t["week"]): t for t in CONTENT.tasks},
          lessons=tuple(CONTENT.lessons.values()), hr_recipient="robot:hr")
TZ = ENV.tz
ACCEPTED = datetime(2026, 11, 16, 15, 0, tzinfo=TZ)  # a Monday afternoon: programme week 1 is 16-22 Nov
START = date(2026, 12, 14)


def at(d: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(d, time(hh, mm), TZ)


def view(**kw) -> CandidateView:
    base = dict(id=7, name="张三", channel=Channel.wecom, user_id="zhangsan", status=CandidateStatus.accepted,
                offer_sent_at=ACCEPTED - timedelta(days=1), offer_accepted_at=ACCEPTED, start_date=START, tier="high")
    return CandidateView(**{**base, **kw})


def keys(planned) -> list[str]:
    return sorted(p.key for p in planned)


NOTHING = History()
WEEK1 = CONTENT.task(1)["key"]


# --- weekly task -------------------------------------------------------------------------------------------------


def test_week_one_task_the_day_after_acceptance_at_the_preferred_time():
    assert cadence.plan_weekly_task(view(), at(date(2026, 11, 17), 9, 59), NOTHING, ENV) == []
    (p,) = cadence.plan_weekly_task(view(), at(date(2026, 11, 17), 10), NOTHING, ENV)
    assert (p.key, p.category, p.due_at) == ("weekly_task:7:1", Category.task, at(date(2026, 11, 17), 10))
    assert p.expires_at == at(date(2026, 11, 23), 0) and p.vars["task"]["key"] == WEEK1
    (evening,) = cadence.plan_weekly_task(view(preferred_time="evening"), at(date(2026, 11, 17), 20), NOTHING, ENV)
    assert evening.due_at == at(date(2026, 11, 17), 19, 30)


def test_the_programme_week_turns_on_the_acceptance_weekday_not_at_sunday_midnight():
    sunday_2359 = at(date(2026, 11, 22), 23, 59)
    assert keys(cadence.plan_weekly_task(view(), sunday_2359, NOTHING, ENV)) == ["weekly_task:7:1"]
    assert cadence.plan_weekly_task(view(), at(date(2026, 11, 23), 0, 0), NOTHING, ENV) == []  # week 1 expired
    assert cadence.plan_weekly_task(view(), at(date(2026, 11, 23), 9, 59), NOTHING, ENV) == []  # week 2: not yet
    assert keys(cadence.plan_weekly_task(view(), at(date(2026, 11, 23), 10), NOTHING, ENV)) == ["weekly_task:7:2"]


def test_no_weekly_task_when_done_low_tier_past_the_last_week_or_not_accepted():
    now = at(date(2026, 11, 17), 12)
    assert cadence.plan_weekly_task(view(), now, History(tasks_done=frozenset({WEEK1})), ENV) == []
    assert cadence.plan_weekly_task(view(tier="low"), now, NOTHING, ENV) == []
    assert cadence.plan_weekly_task(view(status=CandidateStatus.offered), now, NOTHING, ENV) == []
    late = at(date(2026, 11, 16) + timedelta(days=7 * len(CONTENT.tasks) + 1), 12)
    assert cadence.plan_weekly_task(view(start_date=None), late, NOTHING, ENV) == []
    assert keys(cadence.plan_weekly_task(view(tier=None), now, NOTHING, ENV)) == ["weekly_task:7:1"]  # unscored


def test_medium_tier_hears_of_the_meetup_in_the_weekly_task():
    cohort = CohortView(1, "冬季营", START, at(date(2026, 12, 4), 19, 30), "https://m.example.com/1")
    (p,) = cadence.plan_weekly_task(view(tier="medium", cohort=cohort), at(date(2026, 11, 30), 10), NOTHING, ENV)
    assert p.vars["meetup"]["url"] == "https://m.example.com/1"
    (p,) = cadence.plan_weekly_task(view(tier="high", cohort=cohort), at(date(2026, 11, 30), 10), NOTHING, ENV)
    assert p.vars["meetup"] is None  # high tier gets the invitation of its own


# --- mid-week, digest, low tier ----------------------------------------------------------------------------------


def test_midweek_nudge_for_an_unfinished_task_else_a_lesson_on_the_interests():
    thursday = at(date(2026, 11, 19), 10)
    (nudge,) = cadence.plan_midweek(view(), thursday, NOTHING, ENV)
    assert nudge.key == "task_nudge:7:1" and nudge.category == Category.task
    done = History(tasks_done=frozenset({WEEK1}), lessons_done=frozenset({"tech_code_review"}))
    (lesson,) = cadence.plan_midweek(view(interests=("data", "tech")), thursday, done, ENV)
    assert lesson.key == "lesson:7:1" and lesson.vars["lesson"]["topic"] == "data" and lesson.vars["matched"]
    assert cadence.plan_midweek(view(tier="medium"), thursday, NOTHING, ENV) == []  # tier permitting: high only
    assert cadence.plan_midweek(view(), thursday - timedelta(minutes=1), NOTHING, ENV) == []
    assert cadence.plan_midweek(view(), thursday + timedelta(days=1, minutes=1), NOTHING, ENV) == []  # too late


def test_suggest_lesson_falls_back_to_any_lesson_and_runs_out():
    lessons = ENV.lessons
    assert cadence.suggest_lesson(("nothing",), (), lessons)["key"] == lessons[0]["key"]
    assert cadence.suggest_lesson(("data",), [l["key"] for l in lessons], lessons) is None


def test_friday_digest_full_short_or_skipped():
    friday = at(date(2026, 11, 20), 17, 30)
    (full,) = cadence.plan_digest(view(), friday, History(points=100), ENV)
    assert full.key == "digest:7:2026-11-20" and full.category == Category.engagement and not full.vars["short"]
    assert full.vars["points"] == 100 and full.expires_at == at(date(2026, 11, 23), 0)
    active = view(last_inbound_at=at(date(2026, 11, 18), 12))
    (short,) = cadence.plan_digest(active, friday, NOTHING, ENV)
    assert short.vars["short"] is True
    assert cadence.plan_digest(active, friday, History(tasks_done=frozenset({WEEK1})), ENV) == []
    assert cadence.plan_digest(view(), friday - timedelta(minutes=1), NOTHING, ENV) == []
    assert cadence.plan_digest(view(tier="medium"), friday, NOTHING, ENV) == []
    assert cadence.plan_digest(view(preferred_time="evening"), friday, NOTHING, ENV) == []  # 19:30 for evening people


def test_low_tier_gets_one_merged_message_a_fortnight():
    (p,) = cadence.plan_low_digest(view(tier="low"), at(date(2026, 11, 17), 10), NOTHING, ENV)
    assert p.key == "low_digest:7:1" and p.category == Category.engagement
    assert cadence.plan_low_digest(view(tier="low"), at(date(2026, 11, 24), 10), NOTHING, ENV) == []  # week 2
    assert keys(cadence.plan_low_digest(view(tier="low"), at(date(2026, 12, 1), 10), NOTHING, ENV)) == ["low_digest:7:3"]
    assert cadence.plan_low_digest(view(tier="medium"), at(date(2026, 11, 17), 10), NOTHING, ENV) == []


# --- offer, documents, meetup ------------------------------------------------------------------------------------


def test_offer_unconfirmed_after_24h_reminds_the_candidate_and_alerts_hr():
    sent = at(date(2026, 11, 22), 9)
    offered = view(status=CandidateStatus.offered, offer_sent_at=sent, offer_accepted_at=None)
    assert cadence.plan_offer_unconfirmed(offered, sent + timedelta(hours=23, minutes=59), NOTHING, ENV) == []
    planned = cadence.plan_offer_unconfirmed(offered, sent + timedelta(hours=24), NOTHING, ENV)
    assert [(p.key, p.category, p.to_hr) for p in planned] == [
        ("offer_unconfirmed:7", Category.critical, False), ("offer_unconfirmed_hr:7", Category.alert, True)]
    no_robot = Env(tz=TZ, tasks=ENV.tasks, hr_recipient=None)
    assert keys(cadence.plan_offer_unconfirmed(offered, sent + timedelta(hours=25), NOTHING, no_robot)) == ["offer_unconfirmed:7"]
    assert cadence.plan_offer_unconfirmed(offered, sent + timedelta(days=7), NOTHING, ENV) == []
    assert cadence.plan_offer_unconfirmed(view(), sent + timedelta(days=2), NOTHING, ENV) == []


DOCS = (Doc("身份证复印件"), Doc("离职证明", long_lead=True))


def test_documents_at_t7_for_long_lead_items_and_at_t3_for_everything():
    c = view(missing_docs=DOCS)
    assert cadence.plan_documents(c, at(START - timedelta(days=8), 12), NOTHING, ENV) == []
    assert cadence.plan_documents(c, at(START - timedelta(days=7), 9, 59), NOTHING, ENV) == []
    (t7,) = cadence.plan_documents(c, at(START - timedelta(days=7), 10), NOTHING, ENV)
    assert (t7.key, t7.category, t7.vars["missing"]) == ("docs_t7:7:2026-12-14", Category.critical, ["离职证明"])
    assert cadence.plan_documents(view(missing_docs=DOCS[:1]), at(START - timedelta(days=6), 12), NOTHING, ENV) == []
    (t3,) = cadence.plan_documents(c, at(START - timedelta(days=3), 10), NOTHING, ENV)
    assert (t3.key, t3.vars["missing"]) == ("docs_t3:7:2026-12-14", ["身份证复印件", "离职证明"])
    assert cadence.plan_documents(c, at(START - timedelta(days=1), 9), NOTHING, ENV) == []  # 10:00 on any day
    (late,) = cadence.plan_documents(c, at(START - timedelta(days=1), 10), NOTHING, ENV)  # start date set late
    assert late.key == t3.key
    assert cadence.plan_documents(c, at(START, 8), NOTHING, ENV) == []
    assert cadence.plan_documents(view(), at(START - timedelta(days=3), 10), NOTHING, ENV) == []


def test_meetup_invitation_at_t_minus_10():
    cohort = CohortView(1, "冬季营", START, at(date(2026, 12, 4), 19, 30), "https://m.example.com/1")
    c = view(cohort=cohort)
    assert cadence.plan_meetup(c, at(date(2026, 12, 3), 12), NOTHING, ENV) == []
    (p,) = cadence.plan_meetup(c, at(date(2026, 12, 4), 10), NOTHING, ENV)
    assert (p.key, p.category, p.expires_at) == ("meetup:7:2026-12-14", Category.engagement, at(date(2026, 12, 4), 19))
    assert cadence.plan_meetup(c, at(date(2026, 12, 4), 19), NOTHING, ENV) == []  # it is starting
    assert cadence.plan_meetup(view(cohort=CohortView(1, "x", START)), at(date(2026, 12, 4), 10), NOTHING, ENV) == []


def test_plan_is_pure_and_repeatable():
    c = view(missing_docs=DOCS)
    now = at(START - timedelta(days=3), 17, 30)
    assert plan(c, now, NOTHING, ENV) == plan(c, now, NOTHING, ENV)


# --- HR messages fit the robot -----------------------------------------------------------------------------------


def test_the_documents_alert_to_hr_groups_by_start_date_and_fits_4096_bytes():
    many = [(view(id=n, name="欧阳" * 8 + str(n), missing_docs=DOCS), "t3", list(DOCS)) for n in range(300)]
    (p,) = cadence.plan_docs_hr(many, at(date(2026, 12, 11), 10), ENV, CONTENT.render)
    text = p.vars["text"]
    assert p.key == "docs_hr:2026-12-14:t3" and p.to_hr and len(text.encode()) <= 4096
    assert "共 300 人" in text and "另有" in text
    assert cadence.plan_docs_hr(many, at(date(2026, 12, 11), 10), Env(tz=TZ, tasks={}), CONTENT.render) == []


def test_the_report_period_starts_every_n_days_at_half_past_nine():
    first = cadence.report_period(at(date(2026, 11, 20), 12), ENV)
    assert date(2026, 11, 18) <= first <= date(2026, 11, 20)
    firsts = [cadence.report_period(at(first + timedelta(days=d), 12), ENV) for d in range(9)]
    assert firsts == [first] * 3 + [first + timedelta(days=3)] * 3 + [first + timedelta(days=6)] * 3
    assert cadence.report_period(at(first, 9, 29), ENV) is None
    assert cadence.report_period(at(first, 9, 30), ENV) == first


# --- the runner against the database -----------------------------------------------------------------------------


def outbox(svc) -> dict[str, OutboxItem]:
    with Session(svc.engine) as db:
        return {o.dedupe_key: o for o in db.exec(select(OutboxItem))}


def uid(svc, user_id: str) -> Candidate:
    with Session(svc.engine) as db:
        return db.exec(select(Candidate).where(Candidate.channel_user_id == user_id)).one()


def update(svc, user_id: str, **values) -> None:
    with Session(svc.engine) as db:
        c = db.exec(select(Candidate).where(Candidate.channel_user_id == user_id)).one()
        for k, v in values.items():
            setattr(c, k, v)
        db.add(c)
        db.commit()


def test_planning_twice_queues_nothing_new(svc, clock):
    first = cadence.run(svc)
    rows = outbox(svc)
    assert first["queued"] == len(rows) > 0 and first["candidates"] == 18  # the 20 demo people minus two gone
    again = cadence.run(svc)
    assert again["queued"] == 0 and outbox(svc).keys() == rows.keys()
    clock.advance(minutes=5)
    assert cadence.run(svc)["queued"] == 0
    zhaolei = uid(svc, "zhaolei")  # offered 1 day 3 h ago
    assert {f"offer_unconfirmed:{zhaolei.id}", f"offer_unconfirmed_hr:{zhaolei.id}"} <= rows.keys()
    assert rows[f"offer_unconfirmed_hr:{zhaolei.id}"].channel == Channel.robot
    assert rows[f"offer_unconfirmed_hr:{zhaolei.id}"].recipient == svc.alert_recipient
    assert rows[f"offer_unconfirmed:{zhaolei.id}"].category == Category.critical
    assert any(k.startswith("hr_report:") for k in rows)


def test_the_plan_tick_draws_the_holdout_arm_and_the_cadence_tick_is_leased(svc, clock):
    from tests.scheduler.test_worker import services_mod

    info = ticks.plan(svc)
    assert info["active"] and info["holdout"] == 20
    with Session(svc.engine) as db:
        assert len(db.exec(select(CadenceState)).all()) == 20
    second = services_mod.build(svc.config, svc.engine, clock)
    assert ticks.plan_cadence(second) == {"active": False}
    assert ticks.plan_cadence(svc)["active"] is True
    assert ticks.score_stickiness(svc)["scored"] == 18


def test_a_moved_start_date_cancels_the_old_plan_tells_the_candidate_and_plans_anew(svc, clock):
    clock.set(at(date(2026, 12, 11), 10))  # T-3 of the demo cohort
    cadence.run(svc)
    zhang = uid(svc, "zhangsan")
    old = f"docs_t3:{zhang.id}:2026-12-14"
    assert outbox(svc)[old].status == OutboxStatus.pending
    update(svc, "zhangsan", start_date=date(2026, 12, 21))
    stats = cadence.run(svc)
    rows = outbox(svc)
    assert stats["start_date_moved"] == 1
    assert (rows[old].status, rows[old].reason) == (OutboxStatus.cancelled, "start_date_moved")
    notice = rows[f"start_date_changed:{zhang.id}:2026-12-21"]
    assert notice.category == Category.critical and "12月21日" in notice.text and "12月14日" in notice.text
    with Session(svc.engine) as db:
        assert db.get(CadenceState, zhang.id).planned_start_date == date(2026, 12, 21)
    assert not any(k.startswith(f"docs_t3:{zhang.id}:2026-12-21") for k in rows)  # T-10 now, not T-3
    other = uid(svc, "liuyang")
    assert rows[f"docs_t3:{other.id}:2026-12-14"].status == OutboxStatus.pending  # nobody else touched
    clock.set(at(date(2026, 12, 14), 10))  # T-7 of the new date: the long-lead item again, under the new key
    cadence.run(svc)
    assert f"docs_t7:{zhang.id}:2026-12-21" in outbox(svc)
    assert cadence.run(svc)["start_date_moved"] == 0


def test_a_renege_cancels_everything_pending_but_hr_alerts(svc, clock):
    cadence.run(svc)
    zhaolei = uid(svc, "zhaolei")
    mine = sorted(k for k, o in outbox(svc).items() if o.candidate_id == zhaolei.id)
    assert len(mine) == 2
    update(svc, "zhaolei", status=CandidateStatus.reneged)
    cadence.run(svc)
    rows = outbox(svc)
    assert (rows[f"offer_unconfirmed:{zhaolei.id}"].status, rows[f"offer_unconfirmed:{zhaolei.id}"].reason) == (
        OutboxStatus.cancelled, "candidate_reneged")
    assert rows[f"offer_unconfirmed_hr:{zhaolei.id}"].status == OutboxStatus.pending
    clock.advance(days=3)
    cadence.run(svc)
    assert sorted(k for k, o in outbox(svc).items() if o.candidate_id == zhaolei.id) == mine  # nothing new


def test_messages_whose_reason_went_away_are_cancelled(svc, clock, db):
    cadence.run(svc)
    zhao = uid(svc, "zhaolei")
    update(svc, "zhaolei", status=CandidateStatus.accepted, offer_accepted_at=clock.now())
    cadence.run(svc)
    assert outbox(svc)[f"offer_unconfirmed:{zhao.id}"].reason == "offer_answered"
    assert outbox(svc)[f"offer_unconfirmed_hr:{zhao.id}"].status == OutboxStatus.pending  # HR hears it anyway

    clock.set(at(date(2026, 12, 11), 10))
    cadence.run(svc)
    liu = uid(svc, "liuyang")
    for d in db.exec(select(DocumentItem).where(DocumentItem.candidate_id == liu.id)):
        d.received_at = clock.now()
        db.add(d)
    db.commit()
    cadence.run(svc)
    assert outbox(svc)[f"docs_t3:{liu.id}:2026-12-14"].reason == "documents_received"


def test_a_nudge_is_dropped_once_the_task_is_done(svc, clock, db):
    zhang = uid(svc, "zhangsan")  # accepted Wednesday 18 Nov: week 2 starts 25 Nov, its nudge is due on 28 Nov
    clock.set(at(date(2026, 11, 28), 10))
    update(svc, "zhangsan", tier="high", stickiness=90.0)
    cadence.run(svc)
    key = f"task_nudge:{zhang.id}:2"
    assert outbox(svc)[key].status == OutboxStatus.pending
    clock.advance(minutes=3)
    db.add(TaskCompletion(candidate_id=zhang.id, task_key=CONTENT.task(2)["key"], completed_at=clock.now()))
    db.commit()
    cadence.run(svc)
    assert outbox(svc)[key].reason == "task_done"


def test_held_outside_the_oa_window_a_template_stands_in_for_critical(svc, clock, fake_api):
    hexin = uid(svc, "o_hexin_8Kq2")
    with Session(svc.engine) as db:
        svc.outbox.enqueue(db, channel=Channel.wechat, recipient=hexin.channel_user_id, text="材料还差体检报告",
                           dedupe_key="docs_t3:x", category=Category.critical, candidate_id=hexin.id,
                           payload={"summary": "待交：体检报告"})
        svc.outbox.enqueue(db, channel=Channel.wechat, recipient=hexin.channel_user_id, text="本周任务",
                           dedupe_key="weekly_task:x", category=Category.task, candidate_id=hexin.id)
        for o in db.exec(select(OutboxItem)):
            o.status, o.reason, o.due_at = OutboxStatus.held, "outside_48h_window", clock.now() + timedelta(hours=6)
            db.add(o)
        db.commit()
    cadence.run(svc)
    assert outbox(svc)["docs_t3:x"].status == OutboxStatus.held  # no template configured: it waits
    svc.config["WECHAT_TEMPLATE_ID"] = "tpl-123"
    cadence.run(svc)
    rows = outbox(svc)
    assert (rows["docs_t3:x"].status, rows["docs_t3:x"].reason) == (OutboxStatus.cancelled, "sent_as_template")
    twin = rows["docs_t3:x:tpl"]
    assert twin.kind == "template" and twin.payload["template_id"] == "tpl-123"
    assert twin.payload["data"]["keyword1"]["value"] == "待交：体检报告"
    assert rows["weekly_task:x"].status == OutboxStatus.held  # only critical (and relays) get a stand-in
    svc.outbox.dispatch()
    (call,) = fake_api.sent("wechat", "message/template/send")
    assert call.body["template_id"] == "tpl-123" and call.body["touser"] == hexin.channel_user_id


def test_held_for_the_window_goes_at_once_when_the_candidate_writes(svc, clock):
    hexin = uid(svc, "o_hexin_8Kq2")
    with Session(svc.engine) as db:
        (item,) = svc.outbox.enqueue(db, channel=Channel.wechat, recipient=hexin.channel_user_id, text="本周任务",
                                     dedupe_key="weekly_task:y", category=Category.task, candidate_id=hexin.id)
        item.status, item.reason, item.due_at = OutboxStatus.held, "outside_48h_window", clock.now() + timedelta(hours=6)
        db.add(item)
        db.commit()
    cadence.run(svc)
    assert outbox(svc)["weekly_task:y"].due_at == clock.now() + timedelta(hours=6)
    clock.advance(minutes=10)
    update(svc, "o_hexin_8Kq2", last_inbound_at=clock.now())
    cadence.run(svc)
    assert outbox(svc)["weekly_task:y"].due_at == clock.now()


def test_the_stickiness_report_reaches_hr_once_per_period_within_4096_bytes(svc, clock, db):
    cohort = db.exec(select(Cohort)).first()
    for n in range(400):
        db.add(Candidate(name=f"候选人{n:03d}号欧阳娜娜", channel=Channel.wecom, channel_user_id=f"bulk{n}",
                         status=CandidateStatus.accepted, cohort_id=cohort.id, start_date=cohort.training_date,
                         offer_accepted_at=clock.now() - timedelta(days=20), tier="low", stickiness=10.0))
    db.commit()
    cadence.run(svc)
    reports = [o for k, o in outbox(svc).items() if k.startswith("hr_report:")]
    (report,) = reports
    assert report.kind == "markdown" and len(report.text.encode()) <= 4096
    assert "没有动静" in report.text and "另有" in report.text and cohort.name in report.text
    clock.advance(days=1)
    cadence.run(svc)
    clock.advance(days=2)
    cadence.run(svc)
    assert len([k for k in outbox(svc) if k.startswith("hr_report:")]) == 2


def test_no_hr_messages_without_a_robot(svc, clock):
    svc.alert_recipient = None
    cadence.run(svc)
    assert not [o for o in outbox(svc).values() if o.channel == Channel.robot]


def test_the_bulk_path_writes_exactly_what_enqueue_writes(svc, clock):
    long = "第一句话很长很长。" * 300  # 8100 bytes: four parts
    common = dict(channel=Channel.wecom, recipient="zhangsan", candidate_id=uid(svc, "zhangsan").id,
                  category=Category.task, kind="text", text=long, payload={"expires_at": "2026-12-01T00:00:00+00:00"},
                  due_at=clock.now() + timedelta(hours=1))
    with Session(svc.engine) as db:
        svc.outbox.enqueue(db, dedupe_key="via:enqueue", **common)
        cadence.bulk_insert(db, cadence._rows(Outgoing(key="via:bulk", **common), clock.now()))
        cadence.bulk_insert(db, cadence._rows(Outgoing(key="via:bulk", **common), clock.now()))  # again: no-op
        db.commit()
    rows = outbox(svc)
    skip = {"id", "dedupe_key"}

    def shape(o):
        return {k: v for k, v in o.model_dump().items() if k not in skip}

    parts = ["", "#2", "#3", "#4"]
    assert sorted(k for k in rows if k.startswith("via:bulk")) == [f"via:bulk{p}" for p in parts]
    for p in parts:
        assert shape(rows[f"via:enqueue{p}"]) == shape(rows[f"via:bulk{p}"])


def test_the_bulk_path_is_taken_for_many_new_messages_and_keeps_dedupe(svc, clock, db, monkeypatch):
    cohort = db.exec(select(Cohort)).first()
    for n in range(cadence.BULK_FROM + 20):
        db.add(Candidate(name=f"新人{n}", channel=Channel.wecom, channel_user_id=f"new{n}", status=CandidateStatus.offered,
                         offer_sent_at=clock.now() - timedelta(hours=30), cohort_id=cohort.id))
    db.commit()
    calls = []
    monkeypatch.setattr(svc.outbox, "enqueue", lambda *a, **kw: calls.append(kw) or [])
    stats = cadence.run(svc)
    assert [c["dedupe_key"].split(":")[0] for c in calls] == ["hr_report"]  # the big batch went in bulk
    assert stats["queued"] >= 2 * (cadence.BULK_FROM + 20)
    assert cadence.run(svc)["queued"] == 0


# --- caps through the outbox: needs the one-line wiring in bot/outbox.py -----------------------------------------


def test_caps_hold_through_the_outbox(svc, clock, fake_api):
    update(svc, "zhangsan", tier="medium", stickiness=70.0)
    zhang = uid(svc, "zhangsan")
    with Session(svc.engine) as db:
        for key in ("weekly_task:cap:1", "digest:cap:2026-11-27"):
            svc.outbox.enqueue(db, channel=Channel.wecom, recipient="zhangsan", text=key, dedupe_key=key,
                               category=Category.task, candidate_id=zhang.id)
        db.commit()
    stats = svc.outbox.dispatch()
    rows = outbox(svc)
    assert stats.sent == 1 and stats.held == 1
    assert rows["digest:cap:2026-11-27"].reason == "cap_medium"
    assert rows["digest:cap:2026-11-27"].due_at == clock.now() + timedelta(days=7)
