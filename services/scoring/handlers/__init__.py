"""Scoring's commands: each loads what it needs, asks the domain, and saves the state with its
audit and events in one write (see :mod:`services.scoring.adapters.mark_rows` for the marks)."""
