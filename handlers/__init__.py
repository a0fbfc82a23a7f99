"""What the bot says back: routers per role and intent family, the Ctx they get, the Replies they return."""

from handlers.context import Ctx
from handlers.reply import Reply
from handlers.router import ANY, Dispatcher, Pipeline, Role, Router

__all__ = ["ANY", "Ctx", "Dispatcher", "Pipeline", "Reply", "Role", "Router", "build_dispatcher", "build_pipeline"]


def build_dispatcher() -> Dispatcher:
    """Every router in its include order: HR's case commands and staff first, then the candidate's families, the
    catch-all fallback last."""
    from handlers import clarify, common, fallback, hr_cases, staff
    from handlers.candidate import (
        control, faq, lessons, offer, people, points, privacy, questionnaire, readiness, relay, smalltalk, tasks,
        training,
    )

    return Dispatcher(
        hr_cases.router,
        staff.router,
        clarify.router,
        training.router,
        readiness.router,
        people.router,
        faq.router,
        offer.router,
        questionnaire.router,
        tasks.router,
        lessons.router,
        points.router,
        control.router,
        privacy.router,
        relay.router,
        smalltalk.router,
        common.router,
        fallback.router,
    )


def build_pipeline(dispatcher: Dispatcher, classify) -> Pipeline:
    """The dispatcher behind the middlewares that see every message, in order."""
    from handlers.candidate.hesitation import hesitation_check
    from handlers.candidate.privacy import consent_notice
    from handlers.middleware import record_engagement

    pipeline = Pipeline(dispatcher, classify)
    pipeline.use(consent_notice, before=True)
    pipeline.use(record_engagement)
    pipeline.use(hesitation_check)
    return pipeline
