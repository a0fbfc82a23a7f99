"""Everything people read: Jinja templates, help lines, FAQ, tasks, gifts. Loaded and validated once at start."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound

CONTENT_DIR = Path(__file__).parent


class ContentError(RuntimeError):
    """A content file is missing, malformed or references something that does not exist."""


def _days_word(n: int) -> str:
    return "今天" if n == 0 else "明天" if n == 1 else f"{n} 天后"


def _date_cn(d) -> str:
    weekday = "一二三四五六日"[d.weekday()]
    return f"{d.month}月{d.day}日（周{weekday}）"


@dataclass
class Content:
    root: Path = CONTENT_DIR
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(self.root / "templates")),
            undefined=StrictUndefined,  # a missing variable is a bug, not an empty string in front of a candidate
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            autoescape=False,
        )
        self.env.filters["date_cn"] = _date_cn
        self.env.filters["days_word"] = _days_word
        for path in sorted(self.root.glob("*.yaml")):
            self.data[path.stem] = self._load_yaml(path)
        self.tasks: list[dict] = sorted(
            (self._load_yaml(p) for p in sorted((self.root / "tasks").glob("*.yaml"))), key=lambda t: t["week"]
        )
        self.lessons: dict[str, dict] = {
            d["key"]: d for d in (self._load_yaml(p) for p in sorted((self.root / "lessons").glob("*.yaml")))
        }
        self.playbooks: dict[str, dict] = {
            d["reason"]: d for d in (self._load_yaml(p) for p in sorted((self.root / "playbooks").glob("*.yaml")))
        }

    @staticmethod
    def _load_yaml(path: Path) -> Any:
        try:
            return yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ContentError(f"{path}: {exc}") from exc

    def template_names(self) -> list[str]:
        return sorted(p.name.removesuffix(".j2") for p in (self.root / "templates").glob("*.j2"))

    def render(self, name: str, /, **vars: Any) -> str:
        try:
            template = self.env.get_template(f"{name}.j2")
        except TemplateNotFound as exc:
            raise ContentError(f"no template content/templates/{name}.j2") from exc
        return template.render(**vars).strip()

    def text(self, section: str, key: str) -> str:
        """A short fixed text from content/<section>.yaml."""
        try:
            return self.data[section][key]
        except KeyError as exc:
            raise ContentError(f"content/{section}.yaml has no key {key!r}") from exc

    def from_string(self, source: str, **vars: Any) -> str:
        """Render a text that lives in YAML (a task intro may greet by {{ name }})."""
        return self.env.from_string(source).render(**vars).strip()

    def task(self, week: int) -> dict | None:
        """The weekly task of a given week (1-based); past the last week, None."""
        return next((t for t in self.tasks if t["week"] == week), None)

    def validate(self) -> None:
        """Parse every template and check every data file's shape, so a broken file fails at start, not in
        front of a candidate."""
        for name in self.template_names():
            self.env.get_template(f"{name}.j2")
        problems: list[str] = []
        for t in self.tasks:
            problems += _missing(f"tasks/week {t.get('week')}", t, TASK_KEYS)
        for key, lesson in self.lessons.items():
            problems += _missing(f"lessons/{key}", lesson, LESSON_KEYS)
            for n, q in enumerate(lesson.get("questions", []), start=1):
                problems += _missing(f"lessons/{key} question {n}", q, {"q", "options", "answer"})
                letters = [str(o).strip()[:1].upper() for o in q.get("options", [])]
                if str(q.get("answer", "")).upper() not in letters:
                    problems.append(f"lessons/{key} question {n}: answer {q.get('answer')!r} is not an option")
        for n, gift in enumerate(self.data.get("gifts", {}).get("gifts", []), start=1):
            problems += _missing(f"gifts.yaml #{n}", gift, {"key", "name", "points", "delivery"})
        for n, item in enumerate(self.data.get("faq", {}).get("faq", []), start=1):
            problems += _missing(f"faq.yaml #{n}", item, {"key", "question", "keywords", "answer"})
        for n, q in enumerate(self.data.get("questionnaire", {}).get("questions", []), start=1):
            problems += _missing(f"questionnaire.yaml question {n}", q, {"key", "text", "options"})
        for reason, book in self.playbooks.items():
            problems += _missing(f"playbooks/{reason}", book, {"title", "do", "avoid", "suggested_reply"})
        if problems:
            raise ContentError("content problems:\n  " + "\n  ".join(problems))


TASK_KEYS = {"week", "key", "kind", "title", "points", "intro", "prompt", "min_chars", "done", "too_short", "nudge"}
LESSON_KEYS = {"key", "topic", "title", "minutes", "video", "summary", "points", "pass_mark", "questions"}


def _missing(where: str, data: Any, keys: set[str]) -> list[str]:
    if not isinstance(data, dict):
        return [f"{where}: not a mapping"]
    return [f"{where}: missing {k!r}" for k in sorted(keys - data.keys())]


@lru_cache(maxsize=1)
def shared() -> Content:
    """The process-wide content, loaded and validated once (every app in a process reads the same files)."""
    content = Content()
    content.validate()
    return content
