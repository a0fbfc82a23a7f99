"""A fake WeCom / Official Account / group-robot API at the HTTP seam (the `requests` transport).

Serves tests/fixtures/<platform>/<path_with_underscores>.json, records every request, fails the test loudly on
a path it does not know, and can be scripted to answer an error code (45009, 42001, ...) or drop the
connection once. Our own functions are never patched.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import requests
import responses

FIXTURES = Path(__file__).parent.parent / "fixtures"
BASES = {
    "wecom": "https://qyapi.weixin.qq.com/cgi-bin/",
    "wechat": "https://api.weixin.qq.com/cgi-bin/",
}


@dataclass
class Recorded:
    platform: str
    path: str
    params: dict
    body: dict | None

    @property
    def text(self) -> str | None:
        """The text content of a sent message, whatever its type."""
        if not self.body:
            return None
        for k in ("text", "markdown"):
            if k in self.body:
                return self.body[k].get("content")
        return None


class UnknownPath(AssertionError):
    pass


class FakePlatform:
    def __init__(self, bases: dict[str, str] | None = None):
        self.bases = bases or dict(BASES)
        self.requests: list[Recorded] = []
        self.script: dict[tuple[str, str], deque] = defaultdict(deque)
        self.tokens_issued = 0
        self.mock = responses.RequestsMock(assert_all_requests_are_fired=False)

    def __enter__(self) -> "FakePlatform":
        self.mock.__enter__()
        for platform, base in self.bases.items():
            pattern = re.compile(re.escape(base) + r".*")
            for method in (responses.GET, responses.POST):
                self.mock.add_callback(method, pattern, callback=self._answer(platform, base))
        return self

    def __exit__(self, *exc) -> None:
        self.mock.__exit__(*exc)

    # --- scripting ------------------------------------------------------------------------------------------

    def fail_once(self, platform: str, path: str, errcode: int, errmsg: str = "scripted") -> None:
        self.script[(platform, path)].append({"errcode": errcode, "errmsg": errmsg})

    def drop_once(self, platform: str, path: str) -> None:
        self.script[(platform, path)].append(requests.ConnectionError("scripted network failure"))

    def sent(self, platform: str | None = None, path: str | None = None) -> list[Recorded]:
        return [r for r in self.requests if (platform is None or r.platform == platform) and (path is None or r.path == path)]

    # --- serving --------------------------------------------------------------------------------------------

    def _answer(self, platform: str, base: str):
        def callback(request):
            url = urlparse(request.url)
            path = request.url.split("?", 1)[0][len(base):]
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            body = json.loads(request.body) if request.body else None
            self.requests.append(Recorded(platform, path, params, body))
            queued = self.script.get((platform, path))
            if queued:
                answer = queued.popleft()
                if isinstance(answer, Exception):
                    raise answer
                return 200, {"Content-Type": "application/json"}, json.dumps(answer)
            fixture = FIXTURES / platform / (path.replace("/", "_") + ".json")
            if not fixture.exists():
                raise UnknownPath(f"fake {platform} API has no fixture for {path!r} ({fixture})")
            data = json.loads(fixture.read_text(encoding="utf-8"))
            if path in ("gettoken", "token"):
                self.tokens_issued += 1
                data["access_token"] = f"{data['access_token']}-{self.tokens_issued}"
            return 200, {"Content-Type": "application/json"}, json.dumps(data)

        return callback
