"""Engagement: points ledger, stickiness score and tiers, the delivery policy."""
