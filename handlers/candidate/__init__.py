"""Candidate-facing handlers, one module per intent family."""
