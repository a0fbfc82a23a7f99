"""Reply: what a handler returns. Text comes from a content template; the outbox decides when it goes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from models import Category


@dataclass(frozen=True)
class Reply:
    template: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    text: str | None = None  # already rendered (e.g. relayed words of a person)
    category: Category = Category.reply
    buttons: tuple[str, ...] = ()  # quick replies, where the channel can show them; typing them always works

    @classmethod
    def of(cls, template: str, **vars: Any) -> "Reply":
        return cls(template=template, vars=vars)

    def render(self, content) -> str:
        if self.text is not None:
            return self.text
        assert self.template, "a Reply needs a template or a text"
        return content.render(self.template, **self.vars)


def as_replies(result: "Reply | str | Iterable[Reply | str] | None") -> list[Reply]:
    """Normalise a handler's return value, as WeRoBot's process_function_reply does."""
    if result is None:
        return []
    if isinstance(result, (Reply, str)):
        result = [result]
    return [Reply(text=r) if isinstance(r, str) else r for r in result]
