"""Router and Dispatcher: `@router.on(role=..., intent=...)` registers handlers; the dispatcher looks them up in
the include order and falls back to an `unknown` handler, as aiogram's include_routers and wechatpy's registry do."""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Callable

from nlp.intents import Intent


class Role(StrEnum):
    CANDIDATE = "candidate"
    MENTOR = "mentor"
    HR = "hr"
    STRANGER = "stranger"  # not registered


ANY = "*"
CLARIFY = "clarify"  # pseudo-intent: the classifier hesitated between two intents
# Answers that must not go out next to the warm reply to a wavering candidate (Pipeline.alongside_alert): accepting
# the offer, or "you already accepted", contradicts "I am not sure I will come"; a greeting, a thanks or the
# catch-all's "did not understand" talks past it.
NOT_WITH_ALERT = frozenset({Intent.ACCEPT_OFFER, Intent.GREETING, Intent.THANKS, Intent.UNKNOWN})


@dataclass(frozen=True)
class Handler:
    fn: Callable[..., Any]
    role: str
    intent: str
    flags: dict[str, Any] = field(default_factory=dict)
    router: str = ""

    @property
    def name(self) -> str:
        return f"{self.fn.__module__}.{self.fn.__name__}"

    @property
    def doc(self) -> str:
        """The one-line docstring: when it fires and what it sends."""
        return (inspect.getdoc(self.fn) or "").splitlines()[0] if self.fn.__doc__ else ""


@dataclass(frozen=True)
class Rule:
    fn: Callable[[str], str | None]
    role: str


@dataclass(frozen=True)
class StateHandler:
    fn: Callable[..., Any]
    flow: str
    state: str


class Router:
    def __init__(self, name: str):
        self.name = name
        self.handlers: list[Handler] = []
        self.state_handlers: list[StateHandler] = []
        self.rules: list[Rule] = []

    def on(self, *, role: str | Role = ANY, intent: str | Intent = ANY, **flags: Any):
        """Register `fn(ctx, msg)` for a (role, intent); flags travel with it (`help=True`, `proactive=False`)."""

        def register(fn):
            self.handlers.append(Handler(fn, str(role), str(intent), flags, self.name))
            return fn

        return register

    def on_state(self, flow: str, state: str):
        """Register `fn(ctx, msg)` for a person who is inside `flow` at `state` (conversation state)."""

        def register(fn):
            self.state_handlers.append(StateHandler(fn, flow, str(state)))
            return fn

        return register

    def rule(self, *, role: str | Role):
        """Register `fn(text) -> intent label | None`: the exact commands of a role, checked before the classifier
        (as nlp.intents.rule is for everyone), so a command never reaches the model or a clarifying question."""

        def register(fn):
            self.rules.append(Rule(fn, str(role)))
            return fn

        return register


class Dispatcher:
    def __init__(self, *routers: Router):
        self.routers: list[Router] = []
        self.include(*routers)

    def include(self, *routers: Router) -> "Dispatcher":
        self.routers.extend(routers)
        return self

    @property
    def handlers(self) -> list[Handler]:
        return [h for r in self.routers for h in r.handlers]

    def find(self, role: str, intent: str) -> Handler | None:
        """First match in include order: exact (role, intent), then role wildcard, then intent wildcard."""
        for want_role, want_intent in ((role, intent), (ANY, intent), (role, ANY), (ANY, ANY)):
            for h in self.handlers:
                if h.role == want_role and h.intent == want_intent:
                    return h
        return None

    def command_of(self, role: str, text: str) -> str | None:
        """The intent label of an exact command of this role (first rule in include order that knows it)."""
        for r in self.routers:
            for rule in r.rules:
                if rule.role == role:
                    label = rule.fn(text)
                    if label is not None:
                        return str(label)
        return None

    def find_state(self, flow: str, state: str) -> StateHandler | None:
        """Exact (flow, state) first, then a flow-wide handler registered with state ANY."""
        for want in (state, ANY):
            for r in self.routers:
                for h in r.state_handlers:
                    if h.flow == flow and h.state == want:
                        return h
        return None

    def help_entries(self, role: str) -> list[Handler]:
        """Handlers a person of this role can use and that asked to be listed in 帮助, in include order."""
        seen: set[str] = set()
        out = []
        for h in self.handlers:
            if h.flags.get("help") and h.role in (role, ANY) and h.intent not in seen:
                seen.add(h.intent)
                out.append(h)
        return out


Middleware = Callable[[Any, Any], Any]


class Pipeline:
    """Runs one inbound through the middlewares (always) and then the one handler that fits.

    Middlewares are cross-cutting rules (engagement signals, hesitation check) that must see every message,
    whatever handler answers; they may return extra replies. They all run before the routing, so the routing can
    see what they found: when the hesitation check has answered an alert, only `alongside_alert` routes.
    """

    def __init__(self, dispatcher: Dispatcher, classify: Callable[[str], Any]):
        self.dispatcher = dispatcher
        self.classify = classify
        self.middlewares: list[tuple[Middleware, bool]] = []

    def use(self, middleware: Middleware, *, before: bool = False) -> Middleware:
        """Add a middleware; its replies go after the handler's, or before them with `before=True`."""
        self.middlewares.append((middleware, before))
        return middleware

    def run(self, ctx, msg) -> list:
        from handlers.reply import as_replies

        head, tail = [], []
        for mw, before in self.middlewares:
            (head if before else tail).extend(as_replies(mw(ctx, msg)))
        return head + as_replies(self.route(ctx, msg)) + tail

    def route(self, ctx, msg):
        if ctx.role == Role.STRANGER:
            handler = self.dispatcher.find(Role.STRANGER, ANY)
            return handler.fn(ctx, msg) if handler else None
        if ctx.state is not None:
            sh = self.dispatcher.find_state(ctx.state.flow, ctx.state.state)
            if sh is not None:
                result = sh.fn(ctx, msg)
                if result is not NotImplemented:  # a flow step may decline and let intent routing answer
                    return result
        # Flow steps run first even on an alert: the candidate is answering the bot's own question (a questionnaire
        # option, the question to relay to HR), and breaking the flow would lose that answer. Wavering words a step
        # cannot take as its answer make it decline (flow.changes_subject), and they land here.
        if ctx.extra.get("hesitation"):
            return self.alongside_alert(ctx, msg, ctx.extra.get("hesitation_rest", ""))
        command = self.dispatcher.command_of(str(ctx.role), msg.text or "")
        if command is not None:
            return self.answer(ctx, msg, command)
        result = self.intent_of(ctx, msg)
        if result.ambiguous:
            handler = self.dispatcher.find(ctx.role, CLARIFY)
            if handler is not None:
                return handler.fn(ctx, msg)
        return self.answer(ctx, msg, result.intent)

    def alongside_alert(self, ctx, msg, rest: str):
        """The hesitation check has answered this message warmly (hesitation or withdrawal). Intent routing may add
        only what the candidate asked for in `rest`, the clauses without wavering of their own ("静默模式吧" in
        "静默模式吧，我不打算去了"): an explicit command or a clear question is answered (quiet mode is switched on,
        the mentor's name given). Nothing else: the wavering words are not a request, so classifying them gives
        wrong answers (the offer "already accepted", "preferences or ask mentor?"); an ambiguous rest gets no
        clarifying question, which would talk past the candidate's doubts; NOT_WITH_ALERT never goes."""
        if not rest.strip():
            return None
        intent = self.dispatcher.command_of(str(ctx.role), rest)
        if intent is None:
            result = self.classify(rest)
            if result.ambiguous:
                return None
            intent = result.intent
        if intent in NOT_WITH_ALERT:
            return None
        handler = self.dispatcher.find(ctx.role, str(intent))
        if handler is None or handler.intent == ANY:  # a catch-all is no answer to a message already answered
            return None
        return handler.fn(ctx, dataclasses.replace(msg, text=rest))

    def intent_of(self, ctx, msg):
        """Classify once per message; flows that peek at the intent reuse the result."""
        if "intent" not in ctx.extra:
            ctx.extra["intent"] = self.classify(msg.text or "")
        return ctx.extra["intent"]

    def answer(self, ctx, msg, intent):
        """Run the handler for an intent chosen by the caller (the classifier, or a clarifying answer)."""
        handler = self.dispatcher.find(ctx.role, str(intent))
        return handler.fn(ctx, msg) if handler else None
