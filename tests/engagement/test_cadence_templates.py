"""The cadence's templates (content/templates/cadence_*.j2) render every branch with sample data, say what they
must, and HR messages fit the group robot.

CADENCE_SAMPLES is shaped like SAMPLES in tests/content/test_templates.py, so that suite can include it with
`SAMPLES.update(CADENCE_SAMPLES)`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import jinja2
import pytest

from content import shared

CONTENT = shared()
TZ = ZoneInfo("Asia/Shanghai")
TASK = {"week": 1, "key": "culture_video", "title": "看看星海的一天", "points": 100, "link": "https://learn.example.com/x",
        "intro": "{{ name }}，这周的小任务来啦。", "prompt": "回复感想", "nudge": "这周的短片还没看哦～"}
LESSON = {"key": "tech_code_review", "topic": "tech", "title": "Code Review 入门", "minutes": 12, "points": 50,
          "summary": "怎么提一个好 PR。"}
MEETUP = {"cohort": "2026 冬季新人营", "date": date(2026, 12, 4), "time": "19:30", "url": "https://meeting.example.com/j/1"}
BASE = {"name": "张三", "oa": False, "days_left": 21}

CADENCE_SAMPLES: dict[str, dict | list[dict]] = {
    "cadence_weekly_task": [{**BASE, "week": 1, "task": TASK, "intro": "张三，这周的小任务来啦。", "meetup": None},
                            {**BASE, "oa": True, "week": 2, "task": {**TASK, "link": None}, "intro": "第二周",
                             "meetup": MEETUP}],
    "cadence_task_nudge": [{**BASE, "task": TASK}, {**BASE, "oa": True, "task": TASK}],
    "cadence_lesson": [{**BASE, "lesson": LESSON, "matched": True, "task_done": True},
                       {**BASE, "oa": True, "lesson": LESSON, "matched": False, "task_done": False}],
    "cadence_digest": [
        {**BASE, "short": False, "week": 2, "task": TASK, "task_done": False, "next_task": {"title": "提一个问题"},
         "points": 100, "docs_missing": ["体检报告", "离职证明"], "meetup": MEETUP},
        {**BASE, "short": False, "week": 4, "task": None, "task_done": False, "next_task": None, "points": 0,
         "docs_missing": [], "meetup": None, "days_left": None, "oa": True},
        {**BASE, "short": True, "week": 2, "task": TASK, "task_done": False, "next_task": None, "points": 300,
         "docs_missing": [], "meetup": None},
    ],
    "cadence_low_digest": [
        {**BASE, "task": TASK, "docs_missing": ["体检报告"], "points": 100, "meetup": MEETUP},
        {**BASE, "oa": True, "task": None, "docs_missing": [], "points": 0, "meetup": None, "days_left": None},
    ],
    "cadence_offer_reminder": [{**BASE, "start_date": date(2026, 12, 14)}, {**BASE, "start_date": None}],
    "cadence_offer_hr": [{"name": "赵磊", "hours": 27, "sent_at": datetime(2026, 11, 22, 7, tzinfo=TZ),
                          "start_date": date(2026, 12, 14), "cohort": "2026 冬季新人营"},
                         {"name": "赵磊", "hours": 25, "sent_at": datetime(2026, 11, 22, 7, tzinfo=TZ),
                          "start_date": None, "cohort": None}],
    "cadence_docs_reminder": [{**BASE, "days_left": 3, "missing": ["体检报告", "离职证明"], "start_date": date(2026, 12, 14),
                               "long_lead": False},
                              {**BASE, "days_left": 7, "missing": ["离职证明"], "start_date": date(2026, 12, 14),
                               "long_lead": True}],
    "cadence_docs_hr": [{"start_date": date(2026, 12, 14), "milestone": "t3", "total": 12, "more": 10,
                         "people": [{"name": "张三", "cohort": "2026 冬季新人营", "missing": ["体检报告"]},
                                    {"name": "刘洋", "cohort": "", "missing": ["离职证明", "银行卡信息"]}]},
                        {"start_date": date(2026, 12, 14), "milestone": "t7", "total": 1, "more": 0,
                         "people": [{"name": "张三", "cohort": "", "missing": ["离职证明"]}]}],
    "cadence_meetup": [{**BASE, "meetup": MEETUP}, {**BASE, "oa": True, "meetup": MEETUP}],
    "cadence_start_date_changed": [{"name": "张三", "old": date(2026, 12, 14), "new": date(2026, 12, 21), "oa": False},
                                   {"name": "张三", "old": None, "new": date(2026, 12, 21), "oa": True}],
    "cadence_hr_report": [
        {"first_day": date(2026, 11, 24), "days": 3, "silent_days": 7,
         "tiers": {"2026 冬季新人营": {"high": 3, "medium": 5, "low": 2}, "未分批次": {"unscored": 1}},
         "totals": {"high": 3, "medium": 5, "low": 2, "unscored": 1},
         "up": [("张三", "low", "medium", 12.5)], "down": [("刘洋", "high", "low", -30.0)], "silent": [("陈静", 9)],
         "more_up": 0, "more_down": 4, "more_silent": 2},
        {"first_day": date(2026, 11, 24), "days": 3, "silent_days": 7, "tiers": {}, "totals": {},
         "up": [], "down": [], "silent": [], "more_up": 0, "more_down": 0, "more_silent": 0},
    ],
}


def _variants(name):
    sample = CADENCE_SAMPLES[name]
    return sample if isinstance(sample, list) else [sample]


def test_every_cadence_template_has_samples():
    names = [n for n in CONTENT.template_names() if n.startswith("cadence_")]
    assert sorted(CADENCE_SAMPLES) == names


@pytest.mark.parametrize("name", sorted(CADENCE_SAMPLES))
def test_every_cadence_template_renders_every_branch(name):
    for n, sample in enumerate(_variants(name), start=1):
        try:
            text = CONTENT.render(name, **sample)
        except jinja2.UndefinedError as exc:
            pytest.fail(f"{name}.j2 with sample #{n}: {exc}")
        assert text.strip() and "None" not in text, f"{name}.j2 sample #{n}:\n{text}"
        assert "\n\n\n" not in text, f"{name}.j2 sample #{n} has a hole:\n{text}"


def test_what_the_messages_say():
    docs = CONTENT.render("cadence_docs_reminder", **_variants("cadence_docs_reminder")[0])
    assert "· 体检报告" in docs and "· 离职证明" in docs and "3 天" in docs
    task = CONTENT.render("cadence_weekly_task", **_variants("cadence_weekly_task")[1])
    assert "「任务」" in task and MEETUP["url"] in task and "公众号" in task
    assert "公众号" not in CONTENT.render("cadence_weekly_task", **_variants("cadence_weekly_task")[0])
    short = CONTENT.render("cadence_digest", **_variants("cadence_digest")[2])
    full = CONTENT.render("cadence_digest", **_variants("cadence_digest")[0])
    assert len(short) < len(full) and "300" in short and "体检报告" in full and "下周预告" in full
    report = CONTENT.render("cadence_hr_report", **_variants("cadence_hr_report")[0])
    assert "低 → 中" in report and "高 → 低" in report and "陈静：9 天" in report and "另有 4 人" in report
