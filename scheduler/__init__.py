"""The worker: one APScheduler process whose ticks plan cadence, fire triggers and dispatch the outbox."""
