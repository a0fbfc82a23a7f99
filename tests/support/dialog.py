"""Dialog tables: run turns through the real pipeline and outbox, as a person writing in the dev chat would.

    assert_dialog(svc, [("帮助", "还有几天培训"), ("还有几天培训", re.compile(r"还有 \\d+ 天"))], as_="zhangsan")

Each turn is (what the person writes, what the bot's answer must contain): a substring, a compiled regex
(searched), or a tuple of substrings that must all appear. The answer is every reply of that turn, joined by
newlines, in the order the outbox delivered them. A mismatch fails with the whole transcript so far.
"""

from __future__ import annotations

import re
import uuid
from typing import Iterable, Union

from bot import pipeline
from bot.inbound import Inbound
from models import Channel

Expected = Union[str, "re.Pattern[str]", tuple[str, ...]]


def say(svc, user: str, text: str) -> list[str]:
    """One message from `user` on the dev channel; the texts the bot sent back, in delivery order."""
    inbound = Inbound(channel=Channel.dev, user_id=user, kind="text", text=text, received_at=svc.clock.now(),
                      msg_id=uuid.uuid4().hex)
    result = pipeline.process(svc, inbound)
    assert not result.duplicate, f"{text!r} from {user} was taken for a duplicate callback"
    delivered = svc.outbox.deliver_now(result.reply_ids)
    assert len(delivered) == len(result.reply_ids), (
        f"{len(result.reply_ids)} replies queued for {user} but {len(delivered)} delivered: "
        f"{svc.outbox.counts()}"
    )
    return [item.text for item in delivered]


def matches(answer: str, expected: Expected) -> bool:
    if isinstance(expected, re.Pattern):
        return expected.search(answer) is not None
    if isinstance(expected, tuple):
        return all(part in answer for part in expected)
    if isinstance(expected, str):
        return expected in answer
    raise TypeError(f"expected must be a str, a compiled regex or a tuple of str, not {type(expected).__name__}")


def _describe(expected: Expected) -> str:
    if isinstance(expected, re.Pattern):
        return f"matching /{expected.pattern}/"
    if isinstance(expected, tuple):
        return "containing all of " + ", ".join(repr(p) for p in expected)
    return f"containing {expected!r}"


def _indent(text: str, prefix: str) -> str:
    lines = text.splitlines() or [""]
    return "\n".join((prefix if n == 0 else " " * len(prefix)) + line for n, line in enumerate(lines))


def assert_dialog(svc, turns: Iterable[tuple[str, Expected]], as_: str) -> list[str]:
    """Play the turns in order as user `as_`; return the joined answers (handy for extra checks)."""
    transcript: list[str] = []
    answers: list[str] = []
    for n, (text, expected) in enumerate(turns, start=1):
        answer = "\n".join(say(svc, as_, text))
        answers.append(answer)
        transcript.append(_indent(text, f"  {as_}> "))
        transcript.append(_indent(answer or "(no reply)", "  bot> "))
        if not matches(answer, expected):
            raise AssertionError(
                f"dialog turn {n} of {as_}: expected an answer {_describe(expected)}\n"
                f"transcript:\n" + "\n".join(transcript)
            )
    return answers
