"""Callback latency: a signed, encrypted WeCom text message through the real endpoint (verify, decrypt, dedupe,
classify, detect hesitation, route, queue, passive reply, encrypt), against the crypto alone measured in the same
run. WeCom retries after 5 s and we promise an answer inside 1 s.

    .venv/bin/python bench/bench_callback.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session  # noqa: E402

import demo  # noqa: E402
from app import create_app  # noqa: E402
from clock import SystemClock  # noqa: E402
from tests.support import signing  # noqa: E402

CFG = {"WECOM_CORP_ID": "ww_bench", "WECOM_AGENT_ID": "1", "WECOM_SECRET": "x", "WECOM_TOKEN": "tok",
       "WECOM_AES_KEY": "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"}
TEXTS = ["还有几天培训", "我的导师是谁", "积分", "公司有宿舍吗", "我再考虑一下", "培训安排发我看看", "谢谢"]


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(p * len(values)))]


def main(n: int = 300) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        app = create_app({**CFG, "DATABASE_URL": f"sqlite:///{tmp}/bench.db"}, clock=SystemClock())
        load = time.perf_counter() - t0
        svc = app.extensions["bot"]
        with Session(svc.engine) as db:
            demo.seed(db, svc.clock)
        client = app.test_client()
        full, crypto_only = [], []
        for i in range(n):
            ts = str(int(datetime.now(timezone.utc).timestamp()))
            inner = signing.text_xml(to=CFG["WECOM_CORP_ID"], sender="zhangsan", content=TEXTS[i % len(TEXTS)],
                                     msg_id=str(10_000 + i), create_time=int(ts), agent_id="1")
            t = time.perf_counter()
            enc = signing.encrypt(inner, CFG["WECOM_AES_KEY"], CFG["WECOM_CORP_ID"])
            sig = signing.signature(CFG["WECOM_TOKEN"], ts, "n", enc)
            signing.decrypt(enc, CFG["WECOM_AES_KEY"])
            crypto_only.append(time.perf_counter() - t)
            t = time.perf_counter()
            resp = client.post("/wecom/callback?" + urlencode({"msg_signature": sig, "timestamp": ts, "nonce": "n"}),
                               data=signing.envelope(enc), content_type="text/xml")
            full.append(time.perf_counter() - t)
            assert resp.status_code == 200, resp.status_code
    ms = lambda v: v * 1000  # noqa: E731
    print(f"app start incl. model warm-up: {load:.2f} s")
    print(f"full callback   p50 {ms(statistics.median(full)):.2f} ms  p99 {ms(pct(full, .99)):.2f} ms  max {ms(max(full)):.2f} ms")
    print(f"crypto baseline p50 {ms(statistics.median(crypto_only)):.3f} ms  p99 {ms(pct(crypto_only, .99)):.3f} ms")
    print(f"ratio full/crypto at p50: {statistics.median(full) / statistics.median(crypto_only):.0f}x; "
          f"p99 is {pct(full, .99) / 1.0 * 100:.1f}% of the 1 s budget")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
