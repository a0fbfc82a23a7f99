"""House rule 1 of DESIGN.md: handlers/, nlp/, engagement/ and scheduler/ import neither flask nor wechatpy.

Checked in a fresh interpreter (this one has imported flask long ago) with an import hook that refuses both.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).parents[1]
CORE = ["handlers", "nlp", "engagement", "scheduler"]
BLOCKED = ["flask", "wechatpy"]

BLOCKER = textwrap.dedent(
    """
    import importlib.abc, json, pkgutil, sys, traceback

    BLOCKED = {blocked!r}

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{{name}} is not allowed here (the core imports neither flask nor wechatpy)")
            return None

    for name in list(sys.modules):  # nothing may be preloaded (sitecustomize, .pth files)
        if name.split(".")[0] in BLOCKED:
            del sys.modules[name]
    sys.meta_path.insert(0, Refuse())
    """
)

IMPORT_CORE = BLOCKER + textwrap.dedent(
    """
    import importlib
    imported, failed = [], {{}}

    def walk_error(name):
        failed[name] = traceback.format_exc(limit=3)

    for package in {packages!r}:
        pkg = importlib.import_module(package)
        names = [package] + [m.name for m in pkgutil.walk_packages(pkg.__path__, package + ".", onerror=walk_error)]
        for name in names:
            if name.rsplit(".", 1)[-1] == "__main__":  # a CLI entry point runs on import; its package is checked
                continue
            try:
                importlib.import_module(name)
                imported.append(name)
            except Exception:
                failed[name] = traceback.format_exc(limit=3)
    leaked = sorted(n for n in sys.modules if n.split(".")[0] in BLOCKED)
    print(json.dumps({{"imported": imported, "failed": failed, "leaked": leaked}}))
    """
)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_core_imports_without_flask_or_wechatpy():
    proc = _run(IMPORT_CORE.format(blocked=BLOCKED, packages=CORE))
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert not result["failed"], "core modules that need flask or wechatpy (or fail to import):\n" + "\n".join(
        f"--- {name}\n{tb}" for name, tb in result["failed"].items()
    )
    assert result["leaked"] == []
    for package in CORE:
        assert package in result["imported"]
    # the walk did reach into the packages, not only their __init__
    assert {"handlers.router", "handlers.candidate.training", "scheduler.ticks", "scheduler.lease",
            "engagement.policy", "nlp.intents"} <= set(result["imported"])


def test_the_blocker_does_block_the_edge():
    """Positive control: the WeCom adapter needs flask and wechatpy, so it must fail under the same hook."""
    for module in ("bot.wecom", "flask", "wechatpy.enterprise.crypto"):
        proc = _run(BLOCKER.format(blocked=BLOCKED) + f"import {module}\n")
        assert proc.returncode != 0, f"importing {module} under the blocker succeeded: the blocker is broken"
        assert "ImportError" in proc.stderr and "not allowed here" in proc.stderr, proc.stderr


def test_the_blocker_lets_everything_else_through():
    proc = _run(BLOCKER.format(blocked=BLOCKED) + "import sqlmodel, jinja2, models, clock\nprint('ok')\n")
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr
