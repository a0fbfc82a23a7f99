"""Everything people read: Jinja templates, help lines, FAQ, tasks, gifts. Loaded and validated once at start."""

from __future__ import annotations

from dataclasses import dataclass, field
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

    def validate(self) -> None:
        """Parse every template once so a broken file fails at start, not in front of a candidate."""
        for name in self.template_names():
            self.env.get_template(f"{name}.j2")
