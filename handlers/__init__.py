"""What the bot says back: routers per role and intent family, the Ctx they get, the Replies they return."""

from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, Dispatcher, Pipeline, Role, Router

__all__ = ["ANY", "Ctx", "Dispatcher", "Pipeline", "Reply", "Role", "Router", "build_dispatcher"]


def build_dispatcher() -> Dispatcher:
    """Every router in its include order: specific roles first, the catch-all fallback last."""
    from handlers import common, fallback, staff
    from handlers.candidate import training

    return Dispatcher(staff.router, training.router, common.router, fallback.router)
