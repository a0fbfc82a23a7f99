"""The demo company seeded by `flask --app app demo`: realistic enough to try every flow in /dev/chat.

Fixed ids to try: candidate `zhangsan` (WeCom channel), mentor `lisi`, HR user `wangwu`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session, delete, select

from clock import Clock
from models import (
    Candidate,
    CandidateStatus,
    Channel,
    Cohort,
    Company,
    Department,
    DocumentItem,
    HRUser,
    Mentor,
    SQLModel,
)

# (user id, name, channel, status, days since offer, department index, mentor index, position)
CANDIDATES = [
    ("zhangsan", "张三", Channel.wecom, CandidateStatus.accepted, 6, 0, 0, "后端开发工程师"),
    ("liuyang", "刘洋", Channel.wecom, CandidateStatus.accepted, 9, 0, 0, "后端开发工程师"),
    ("chenjing", "陈静", Channel.wecom, CandidateStatus.accepted, 12, 1, 1, "产品经理"),
    ("zhaolei", "赵磊", Channel.wecom, CandidateStatus.offered, 1, 0, 2, "测试开发工程师"),
    ("sunli", "孙丽", Channel.wecom, CandidateStatus.accepted, 15, 2, 1, "数据分析师"),
    ("zhoujie", "周杰", Channel.wecom, CandidateStatus.accepted, 4, 0, 2, "前端开发工程师"),
    ("wuting", "吴婷", Channel.wecom, CandidateStatus.accepted, 20, 1, 1, "用户研究员"),
    ("zhengkai", "郑凯", Channel.wecom, CandidateStatus.offered, 3, 0, 0, "算法工程师"),
    ("wangfang", "王芳", Channel.wecom, CandidateStatus.accepted, 8, 2, 1, "数据分析师"),
    ("fengyu", "冯宇", Channel.wecom, CandidateStatus.reneged, 25, 0, 2, "后端开发工程师"),
    ("o_hexin_8Kq2", "何欣", Channel.wechat, CandidateStatus.accepted, 7, 1, 1, "产品运营"),
    ("o_luoyi_3Pz9", "罗一鸣", Channel.wechat, CandidateStatus.accepted, 10, 0, 0, "后端开发工程师"),
    ("o_xuqian_5Tb1", "许倩", Channel.wechat, CandidateStatus.offered, 2, 2, 1, "数据分析师"),
    ("o_tangwei_9Lm4", "唐伟", Channel.wechat, CandidateStatus.accepted, 14, 0, 2, "运维开发工程师"),
    ("o_hanxue_2Wd7", "韩雪", Channel.wechat, CandidateStatus.withdrawn, 18, 1, 1, "交互设计师"),
    ("o_caobo_6Jr3", "曹博", Channel.wechat, CandidateStatus.accepted, 5, 0, 0, "后端开发工程师"),
    ("dengxin", "邓欣", Channel.wecom, CandidateStatus.accepted, 11, 2, 1, "商业分析师"),
    ("xiaoran", "萧然", Channel.wecom, CandidateStatus.accepted, 13, 0, 2, "客户端开发工程师"),
    ("tianmiao", "田苗", Channel.wecom, CandidateStatus.offered, 0, 1, 1, "产品经理"),
    ("pengfei", "彭飞", Channel.wecom, CandidateStatus.accepted, 16, 0, 0, "安全工程师"),
]

SILENT = {"sunli", "o_tangwei_9Lm4"}  # accepted two weeks ago and not a word since: the risk score notices

DOCUMENTS = [("身份证复印件", False), ("学历学位证书", False), ("体检报告", True), ("离职证明", True), ("银行卡信息", False)]


def seed(db: Session, clock: Clock, *, reset: bool = False) -> dict[str, int]:
    """Create the demo company. Idempotent: does nothing if it exists, unless `reset`."""
    if db.get(Company, 1) is not None and not reset:
        return {"candidates": len(db.exec(select(Candidate.id)).all()), "created": 0}
    if reset:
        for table in reversed(SQLModel.metadata.sorted_tables):
            db.exec(delete(table))
        db.commit()
    now = clock.now()
    today = now.astimezone(clock.tz).date()
    training = today + timedelta(days=21)
    db.add(Company(id=1, name="星海科技", timezone=clock.tz.key))
    depts = [
        Department(name="研发中心", contact_userid="lisi"),
        Department(name="产品部", contact_userid="qianqi"),
        Department(name="数据智能部", contact_userid="sunba"),
    ]
    mentors = [
        Mentor(name="李四", wecom_userid="lisi", title="高级后端工程师", intro="在星海做了 6 年后端，喜欢跑步和带新人"),
        Mentor(name="钱七", wecom_userid="qianqi", title="资深产品经理", intro="负责用户增长产品，爱读书，周末常去爬山"),
        Mentor(name="孙八", wecom_userid="sunba", title="测试开发专家", intro="质量平台负责人，乐于分享自动化测试经验"),
    ]
    hrs = [
        HRUser(name="王五", wecom_userid="wangwu", mobile="13800000001", email="wangwu@example.com"),
        HRUser(name="赵六", wecom_userid="zhaoliu", mobile="13800000002", email="zhaoliu@example.com"),
    ]
    db.add_all(depts + mentors + hrs)
    cohort = Cohort(
        name="2026 冬季新人营",
        training_date=training,
        report_time="09:00",
        place="上海市浦东新区张江路 88 号星海大厦 3 楼培训室",
        meetup_at=datetime.combine(training - timedelta(days=10), time(19, 30), clock.tz),
        meetup_url="https://meeting.example.com/j/20261214",
    )
    db.add(cohort)
    db.flush()
    for n, (uid, name, channel, status, offer_days, d, m, position) in enumerate(CANDIDATES):
        offered = now - timedelta(days=offer_days, hours=3)
        accepted = offered + timedelta(days=1) if status != CandidateStatus.offered else None
        cand = Candidate(
            name=name,
            channel=channel,
            channel_user_id=uid,
            status=status,
            offer_sent_at=offered,
            offer_accepted_at=accepted,
            offer_declined_at=now - timedelta(days=2) if status in (CandidateStatus.reneged, CandidateStatus.withdrawn) else None,
            start_date=training,
            cohort_id=cohort.id,
            department_id=depts[d].id,
            mentor_id=mentors[m].id,
            hr_owner_id=hrs[n % 2].id,
            position=position,
            consent_at=accepted,
            welcome_sent_at=accepted + timedelta(hours=1) if accepted else None,
            # Most accepted candidates chatted in the last days; a couple went quiet after the welcome pack.
            last_inbound_at=now - timedelta(days=n % 4, hours=2) if accepted and uid not in SILENT else None,
            created_at=offered,
        )
        db.add(cand)
        db.flush()
        for k, (doc, long_lead) in enumerate(DOCUMENTS):
            received = accepted + timedelta(days=1) if accepted and (n + k) % 3 != 0 else None
            db.add(DocumentItem(candidate_id=cand.id, name=doc, long_lead=long_lead,
                                due_date=training - timedelta(days=3), received_at=received))
    db.commit()
    return {"candidates": len(CANDIDATES), "created": 1}
