"""The HR console (Flask blueprint). For now: what the bot does, built from handler and tick docstrings."""

from __future__ import annotations

import inspect

from flask import Blueprint, abort, current_app, render_template

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard", template_folder="templates")


@bp.before_request
def require_access():
    # Login arrives with the console work; until then the console is only served on a dev machine.
    if not current_app.config.get("DEV_CHANNEL") and not current_app.config.get("TESTING"):
        abort(403)


@bp.get("/")
def index():
    from scheduler.ticks import TICKS

    svc = current_app.extensions["bot"]
    handlers = [
        {"router": h.router, "role": h.role, "intent": h.intent, "doc": h.doc, "name": h.name}
        for h in svc.dispatcher.handlers
    ]
    ticks = [{"id": k, "doc": (inspect.getdoc(fn) or "").splitlines()[0]} for k, (fn, _) in TICKS.items()]
    return render_template("dashboard/index.html", handlers=handlers, ticks=ticks, outbox=svc.outbox.counts())
