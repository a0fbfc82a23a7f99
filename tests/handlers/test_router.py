"""Contracts of the handler table (every intent answered, every handler documented and in 帮助 if it asks to be),
and of the Router / Dispatcher / Pipeline machinery itself, on small routers built here."""

from __future__ import annotations

import inspect
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
import yaml

from bot.inbound import Inbound
from handlers import build_dispatcher, build_pipeline
from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, CLARIFY, Dispatcher, Pipeline, Role, Router
from models import Channel, ConversationState
from nlp.intents import Intent, IntentResult, classify
from scheduler.ticks import TICKS
from tests.support.dialog import say

HELP_YAML = Path(__file__).parents[2] / "content" / "help.yaml"
DISPATCHER = build_dispatcher()
STATE_HANDLERS = [sh for r in DISPATCHER.routers for sh in r.state_handlers]
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)


def _id(fn) -> str:
    return f"{fn.__module__}.{fn.__name__}"


# --- the product's handler table ------------------------------------------------------------------------------


@pytest.mark.parametrize("intent", [i for i in Intent if i != Intent.UNKNOWN], ids=str)
def test_every_intent_has_a_handler_for_candidates(intent):
    handler = DISPATCHER.find(Role.CANDIDATE, intent)
    assert handler is not None and handler.intent == intent.value, (
        f"no candidate handler for Intent.{intent.name}: it would fall to "
        f"{handler.name if handler else 'nothing'}; add @router.on(role=Role.CANDIDATE, intent=Intent.{intent.name})"
    )
    assert handler.role in (Role.CANDIDATE, ANY)


@pytest.mark.parametrize(
    "fn",
    [h.fn for h in DISPATCHER.handlers] + [sh.fn for sh in STATE_HANDLERS],
    ids=_id,
)
def test_every_handler_has_a_one_line_docstring(fn):
    doc = inspect.getdoc(fn) or ""
    assert doc.strip(), f"{_id(fn)} has no docstring (when it fires, what it sends)"
    assert len(doc.strip().splitlines()) == 1, f"{_id(fn)}: the docstring should be one line, got:\n{doc}"


@pytest.mark.parametrize(
    "fn",
    [fn for fn, _ in TICKS.values()] + [mw for mw, _before in build_pipeline(DISPATCHER, classify).middlewares],
    ids=_id,
)
def test_every_job_and_middleware_has_a_one_line_docstring(fn):
    doc = (inspect.getdoc(fn) or "").strip()
    assert doc and len(doc.splitlines()) == 1, f"{_id(fn)}: needs a one-line docstring, got {doc!r}"


def test_every_handler_that_asks_for_help_has_a_help_line():
    """Candidates' lines are in content/help.yaml, HR's in content/help_hr.yaml; a handler for everyone needs both."""
    files = {Role.CANDIDATE: HELP_YAML, Role.HR: HELP_YAML.with_name("help_hr.yaml")}
    lines = {role: yaml.safe_load(path.read_text(encoding="utf-8")) for role, path in files.items()}
    flagged = [h for h in DISPATCHER.handlers if h.flags.get("help")]
    assert flagged, "no handler is flagged help=True; the 帮助 reply would be empty"
    missing = [f"{h.name} (intent {h.intent}) in content/{files[role].name}" for h in flagged
               for role in files if h.role in (role, ANY) and not str(lines[role].get(h.intent, "")).strip()]
    assert not missing, "handlers flagged help=True without a help line: " + ", ".join(missing)
    unflagged = set(lines[Role.HR]) - {h.intent for h in DISPATCHER.help_entries(Role.HR)}
    assert not unflagged, f"content/help_hr.yaml has lines no HR handler asks for: {sorted(unflagged)}"


def test_hr_help_entries_are_the_case_commands_then_help():
    intents = [h.intent for h in DISPATCHER.help_entries(Role.HR)]
    assert intents == ["hr_cases", "hr_contacted", "hr_close", Intent.HELP.value]


def test_candidate_help_entries_cover_days_until_training_and_help():
    intents = [h.intent for h in DISPATCHER.help_entries(Role.CANDIDATE)]
    assert Intent.DAYS_UNTIL_TRAINING.value in intents and Intent.HELP.value in intents
    assert len(intents) == len(set(intents))


def test_the_fallback_router_is_included_last_and_catches_everything():
    assert DISPATCHER.routers[-1].name == "fallback"
    for role in Role:
        handler = DISPATCHER.find(role, "no_such_intent")
        assert handler is not None, f"role {role} has no catch-all"
        assert handler.router in ("fallback", "staff"), f"{role}: caught by {handler.name}"


def test_every_role_answers_an_empty_message(svc):
    for user in ("zhangsan", "lisi", "wangwu", "nobody"):  # candidate, mentor, HR, stranger
        replies = say(svc, user, "")
        assert replies and all(r.strip() for r in replies), f"{user}: {replies}"


# --- include order ----------------------------------------------------------------------------------------------


def _router(name: str, role: str = ANY, intent: str = ANY) -> Router:
    router = Router(name)

    @router.on(role=role, intent=intent)
    def handler(ctx, msg):
        """Answers with the router's name."""
        return name

    return router


def test_a_role_specific_handler_wins_over_any_even_when_included_later():
    d = Dispatcher(_router("any", ANY, "x"), _router("cand", Role.CANDIDATE, "x"))
    assert d.find(Role.CANDIDATE, "x").router == "cand"
    assert d.find(Role.MENTOR, "x").router == "any"


def test_within_the_same_specificity_the_first_included_router_wins():
    first, second = _router("first", Role.CANDIDATE, "x"), _router("second", Role.CANDIDATE, "x")
    assert Dispatcher(first, second).find(Role.CANDIDATE, "x").router == "first"
    assert Dispatcher(second, first).find(Role.CANDIDATE, "x").router == "second"


def test_include_appends_after_the_routers_given_first():
    d = Dispatcher(_router("first", Role.CANDIDATE, "x"))
    d.include(_router("later", Role.CANDIDATE, "x"), _router("later_y", Role.CANDIDATE, "y"))
    assert d.find(Role.CANDIDATE, "x").router == "first"
    assert d.find(Role.CANDIDATE, "y").router == "later_y"


def test_an_exact_intent_beats_a_role_catch_all_which_beats_the_global_catch_all():
    d = Dispatcher(
        _router("everyone_catch_all", ANY, ANY),
        _router("mentor_catch_all", Role.MENTOR, ANY),
        _router("help_for_all", ANY, "help"),
    )
    assert d.find(Role.MENTOR, "help").router == "help_for_all"  # 帮助 reaches mentors despite their catch-all
    assert d.find(Role.MENTOR, "points").router == "mentor_catch_all"
    assert d.find(Role.HR, "points").router == "everyone_catch_all"


def test_nothing_registered_finds_nothing():
    assert Dispatcher(_router("cand", Role.CANDIDATE, "x")).find(Role.HR, "x") is None


def test_help_entries_keep_include_order_role_and_one_entry_per_intent():
    r1, r2 = Router("r1"), Router("r2")
    r1.on(role=Role.CANDIDATE, intent="a", help=True)(lambda c, m: None)
    r1.on(role=Role.CANDIDATE, intent="hidden")(lambda c, m: None)
    r1.on(role=Role.HR, intent="hr_only", help=True)(lambda c, m: None)
    r2.on(role=ANY, intent="b", help=True)(lambda c, m: None)
    r2.on(role=Role.CANDIDATE, intent="a", help=True)(lambda c, m: None)
    entries = Dispatcher(r1, r2).help_entries(Role.CANDIDATE)
    assert [(e.router, e.intent) for e in entries] == [("r1", "a"), ("r2", "b")]


# --- the pipeline -----------------------------------------------------------------------------------------------


class Classifier:
    """Stands in for the NLP model (it is injected, not patched): always the same label; counts its calls."""

    def __init__(self, intent: str = "x"):
        self.intent, self.calls = intent, 0

    def __call__(self, text: str) -> IntentResult:
        self.calls += 1
        return IntentResult(self.intent, 0.99)  # type: ignore[arg-type]  (a label of the test's own routers)


def _ctx(role: Role = Role.CANDIDATE, state: tuple[str, str] | None = None) -> Ctx:
    row = ConversationState(channel=Channel.dev, user_id="u1", flow=state[0], state=state[1]) if state else None
    return Ctx(now=NOW, today=date(2026, 11, 23), db=None, role=role, person=None, services=None, state=row)


def _msg(text: str = "hello") -> Inbound:
    return Inbound(channel=Channel.dev, user_id="u1", kind="text", text=text, received_at=NOW)


def _texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies]


def _flow_router(state_result) -> Router:
    router = Router("flow")

    @router.on(role=Role.CANDIDATE, intent="x")
    def on_x(ctx, msg):
        """The intent handler."""
        return "intent answer"

    @router.on_state("quiz", "q1")
    def on_q1(ctx, msg):
        """The state handler."""
        return state_result

    return router


def test_a_state_handler_answers_before_intent_routing():
    classifier = Classifier()
    pipeline = Pipeline(Dispatcher(_flow_router("state answer")), classifier)
    assert _texts(pipeline.run(_ctx(state=("quiz", "q1")), _msg())) == ["state answer"]
    assert classifier.calls == 0  # the flow step answered; nothing was classified


def test_a_state_handler_may_decline_and_intent_routing_answers():
    classifier = Classifier()
    pipeline = Pipeline(Dispatcher(_flow_router(NotImplemented)), classifier)
    assert _texts(pipeline.run(_ctx(state=("quiz", "q1")), _msg())) == ["intent answer"]
    assert classifier.calls == 1


def test_a_state_of_another_flow_step_is_ignored():
    pipeline = Pipeline(Dispatcher(_flow_router("state answer")), Classifier())
    assert _texts(pipeline.run(_ctx(state=("quiz", "q2")), _msg())) == ["intent answer"]
    assert _texts(pipeline.run(_ctx(state=None), _msg())) == ["intent answer"]


def test_an_exact_state_handler_wins_over_a_flow_wide_one():
    router = Router("flow")
    router.on_state("quiz", ANY)(lambda c, m: "any step")
    router.on_state("quiz", "q1")(lambda c, m: "step q1")
    pipeline = Pipeline(Dispatcher(router), Classifier())
    assert _texts(pipeline.run(_ctx(state=("quiz", "q1")), _msg())) == ["step q1"]
    assert _texts(pipeline.run(_ctx(state=("quiz", "q7")), _msg())) == ["any step"]


def test_strangers_never_reach_flows_or_intent_handlers():
    router = _flow_router("state answer")
    router.on(role=Role.STRANGER, intent=ANY)(lambda c, m: "who are you")
    classifier = Classifier()
    pipeline = Pipeline(Dispatcher(router), classifier)
    assert _texts(pipeline.run(_ctx(Role.STRANGER, state=("quiz", "q1")), _msg())) == ["who are you"]
    assert classifier.calls == 0


@pytest.mark.parametrize(
    "role, state, handler_replies",
    [
        (Role.CANDIDATE, None, ["intent answer"]),
        (Role.CANDIDATE, ("quiz", "q1"), ["state answer"]),
        (Role.STRANGER, None, ["who are you"]),
        (Role.HR, None, []),
    ],
    ids=["intent", "state", "stranger", "no handler"],
)
def test_middlewares_always_run_and_their_replies_come_after_the_handlers(role, state, handler_replies):
    seen: list[str] = []

    def first(ctx, msg):
        """Records the message and adds a reply."""
        seen.append(msg.text)
        return Reply(text="first middleware")

    def silent(ctx, msg):
        """Records the message and says nothing."""
        seen.append(msg.text)
        return None

    def last(ctx, msg):
        """Adds two replies, one as a bare string."""
        return ["last middleware", Reply(text="last again")]

    router = _flow_router("state answer")
    router.on(role=Role.STRANGER, intent=ANY)(lambda c, m: "who are you")
    pipeline = Pipeline(Dispatcher(router), Classifier())
    for mw in (first, silent, last):
        pipeline.use(mw)
    texts = _texts(pipeline.run(_ctx(role, state), _msg("hi there")))
    assert texts == handler_replies + ["first middleware", "last middleware", "last again"]
    assert seen == ["hi there", "hi there"]


def test_a_middleware_used_before_puts_its_reply_before_the_handlers():
    pipeline = Pipeline(Dispatcher(_flow_router("state answer")), Classifier())
    pipeline.use(lambda c, m: "after")
    pipeline.use(lambda c, m: "notice first", before=True)
    assert _texts(pipeline.run(_ctx(), _msg())) == ["notice first", "intent answer", "after"]


class Ambiguous(Classifier):
    """A classifier that cannot make up its mind (it would trigger the clarifying question)."""

    def __call__(self, text: str) -> IntentResult:
        self.calls += 1
        return IntentResult("x", 0.3, ("x", "y"))  # type: ignore[arg-type]


def _rule_router() -> Router:
    router = Router("rules")

    @router.rule(role=Role.HR)
    def rule(text):
        """Knows one HR command."""
        return "cmd" if text == "go" else None

    router.on(role=Role.HR, intent="cmd")(lambda c, m: "command answer")
    router.on(role=ANY, intent=CLARIFY)(lambda c, m: "which one?")
    router.on(role=ANY, intent="x")(lambda c, m: "intent answer")
    return router


def test_a_role_rule_answers_before_the_classifier_and_its_clarifying_question():
    classifier = Ambiguous()
    pipeline = Pipeline(Dispatcher(_rule_router()), classifier)
    assert _texts(pipeline.run(_ctx(Role.HR), _msg("go"))) == ["command answer"]
    assert classifier.calls == 0
    assert _texts(pipeline.run(_ctx(Role.HR), _msg("something else"))) == ["which one?"]  # not a command: as before


def test_a_role_rule_is_not_consulted_for_other_roles():
    pipeline = Pipeline(Dispatcher(_rule_router()), Classifier())
    for role in (Role.CANDIDATE, Role.MENTOR):
        assert _texts(pipeline.run(_ctx(role), _msg("go"))) == ["intent answer"]


def test_the_first_rule_in_include_order_that_knows_the_text_wins():
    first, second = Router("first"), Router("second")
    first.rule(role=Role.HR)(lambda text: None)
    second.rule(role=Role.HR)(lambda text: "b")
    third = Router("third")
    third.rule(role=Role.HR)(lambda text: "c")
    assert Dispatcher(first, second, third).command_of(Role.HR, "anything") == "b"
    assert Dispatcher(first).command_of(Role.HR, "anything") is None


def test_a_bare_string_from_a_handler_becomes_a_text_reply():
    pipeline = Pipeline(Dispatcher(_router("plain", Role.CANDIDATE, "x")), Classifier())
    (reply,) = pipeline.run(_ctx(), _msg())
    assert reply == Reply(text="plain")


# --- a message a middleware answered as an alert (Pipeline.alongside_alert) ----------------------------------


def _alert(rest: str):
    def alert(ctx, msg):
        """Answers the message as the hesitation check does on an alert, leaving `rest` to the routing."""
        ctx.extra["hesitation"], ctx.extra["hesitation_rest"] = "withdrawal", rest
        return "warm reply"

    return alert


def _alert_router() -> Router:
    router = _flow_router("state answer")
    router.on(role=Role.CANDIDATE, intent="quiet")(lambda c, m: f"quiet on for {m.text}")
    router.on(role=Role.CANDIDATE, intent=Intent.ACCEPT_OFFER)(lambda c, m: "already accepted")
    router.on(role=ANY, intent=CLARIFY)(lambda c, m: "which one?")
    router.on(role=ANY, intent=ANY)(lambda c, m: "did not understand")
    return router


@pytest.mark.parametrize("classifier", [Classifier(), Ambiguous(), Classifier(Intent.ACCEPT_OFFER),
                                        Classifier("no handler")], ids=["clear", "ambiguous", "contradicts", "catch-all"])
def test_an_alert_with_nothing_else_asked_gets_only_the_middlewares_reply(classifier):
    pipeline = Pipeline(Dispatcher(_alert_router()), classifier)
    pipeline.use(_alert(""))
    assert _texts(pipeline.run(_ctx(), _msg("我决定不去了"))) == ["warm reply"]
    assert classifier.calls == 0  # the wavering words are no request: never classified


def test_the_rest_of_an_alert_is_routed_on_its_own_words():
    classifier = Classifier("quiet")
    pipeline = Pipeline(Dispatcher(_alert_router()), classifier)
    pipeline.use(_alert("静默模式吧"))
    assert _texts(pipeline.run(_ctx(), _msg("静默模式吧，我不打算去了"))) == ["quiet on for 静默模式吧", "warm reply"]


@pytest.mark.parametrize("classifier", [Ambiguous(), Classifier(Intent.ACCEPT_OFFER), Classifier(Intent.GREETING),
                                        Classifier("no handler")], ids=["ambiguous", "contradicts", "small talk", "catch-all"])
def test_the_rest_of_an_alert_gets_no_question_contradiction_or_small_talk(classifier):
    pipeline = Pipeline(Dispatcher(_alert_router()), classifier)
    pipeline.use(_alert("你好"))
    assert _texts(pipeline.run(_ctx(), _msg("你好，我不去了"))) == ["warm reply"]


def test_a_flow_step_still_takes_its_answer_on_an_alert():
    pipeline = Pipeline(Dispatcher(_alert_router()), Classifier())
    pipeline.use(_alert(""))
    assert _texts(pipeline.run(_ctx(state=("quiz", "q1")), _msg())) == ["state answer", "warm reply"]
    declining = Pipeline(Dispatcher(_flow_router(NotImplemented)), Classifier())
    declining.use(_alert(""))
    assert _texts(declining.run(_ctx(state=("quiz", "q1")), _msg())) == ["warm reply"]
