"""A thin JSON client for the WeCom and Official Account APIs: API root from config, a timeout on every call,
tokens from the shared TokenStore, one refetch on an invalid-token answer, errors sorted into retryable or not.

wechatpy's own clients are not used for sending: their token fetch ignores the configured API root and they
retry token errors without a bound. wechatpy still does the callback crypto and message parsing.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Callable

import requests

from bot.tokens import TokenBusy, TokenStore

log = logging.getLogger(__name__)

TOKEN_ERRORS = {40001, 40014, 42001}  # invalid credential, invalid token, expired token
RETRYABLE = {-1, 45009, 45033}  # system busy, API rate limit, too many concurrent calls
DEFAULT_TIMEOUT = (3.05, 10)


class SendError(Exception):
    def __init__(self, message: str, *, code: int | None = None, retryable: bool, tag: str | None = None):
        super().__init__(message)
        self.code = code
        self.retryable = retryable
        # Short, stable label stored as the outbox row's reason: the platform code, or what went wrong.
        self.tag = tag or (str(code) if code is not None else "network" if retryable else "permanent")


class PlatformClient:
    def __init__(
        self,
        base: str,
        *,
        token_key: str,
        token_request: Callable[["PlatformClient"], tuple[str, dict]],
        tokens: TokenStore,
        http: requests.Session | None = None,
        timeout: Any = DEFAULT_TIMEOUT,
    ):
        self.base = base if base.endswith("/") else base + "/"
        self.token_key = token_key
        self.token_request = token_request  # -> (path, params) of the platform's token endpoint
        self.tokens = tokens
        self.http = http or requests.Session()
        self.timeout = timeout

    def _fetch_token(self) -> tuple[str, int]:
        path, params = self.token_request(self)
        data = self._request("GET", path, params=params)
        return data["access_token"], int(data.get("expires_in", 7200))

    def _request(self, method: str, path: str, *, params: dict | None = None, body: Any = None) -> dict:
        url = path if path.startswith(("http://", "https://")) else self.base + path
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"} if data is not None else None
        try:
            resp = self.http.request(method, url, params=params, data=data, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise SendError(f"network error calling {path}: {exc}", retryable=True) from exc
        if resp.status_code >= 500 or resp.status_code == 429:
            raise SendError(f"HTTP {resp.status_code} from {path}", retryable=True)
        if resp.status_code >= 400:
            raise SendError(f"HTTP {resp.status_code} from {path}", retryable=False)
        try:
            result = resp.json()
        except ValueError as exc:
            raise SendError(f"non-JSON answer from {path}", retryable=True) from exc
        code = int(result.get("errcode", 0) or 0)
        if code in TOKEN_ERRORS:
            raise _TokenInvalid(code)
        if code != 0:
            raise SendError(
                f"{path}: errcode {code} {result.get('errmsg', '')}".strip(), code=code, retryable=code in RETRYABLE
            )
        return result

    def call(self, method: str, path: str, *, params: dict | None = None, body: Any = None) -> dict:
        """Call an authenticated endpoint; refetches the token once if the platform says it is invalid."""
        for attempt in (1, 2):
            try:
                token = self.tokens.get(self.token_key, self._fetch_token)
            except TokenBusy as exc:
                raise SendError("access token is being refreshed by another process", retryable=True) from exc
            except _TokenInvalid as exc:  # the token endpoint itself refused our credentials
                raise SendError(f"credentials refused (errcode {exc.code})", code=exc.code, retryable=False) from exc
            try:
                return self._request(method, path, params={**(params or {}), "access_token": token}, body=body)
            except _TokenInvalid as exc:
                log.info("token rejected with %s, refetching (attempt %d)", exc.code, attempt)
                self.tokens.invalidate(self.token_key, token)
                if attempt == 2:
                    raise SendError(f"token rejected twice (errcode {exc.code})", code=exc.code, retryable=True)
        raise AssertionError("unreachable")


class _TokenInvalid(Exception):
    def __init__(self, code: int):
        super().__init__(code)
        self.code = code
