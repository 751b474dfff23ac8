"""Publishing the conflicts of interest: ``conflicts_updated`` carries them all, with a revision.

The conflicts are derived from assignments, declarations and the active roster, so every command
that changes one of those first marks the competition's conflicts as due (or does so in its own
write), and then publishes them: derived afresh, with the next revision, in one compare-and-set
write that also stores the event. A publisher that lost a race derives again; a process that died
before publishing leaves them due, and the service's timer publishes them.
"""
from __future__ import annotations

from datetime import timedelta

from services.registration.views import current_conflicts
from shared.events import utc_now
from shared.outbox import pending_event

from .context import Context

ATTEMPTS = 5
#: How long conflicts may stay due before the timer publishes them (the command's process died).
GRACE_SECONDS = 30


def publish_conflicts(ctx: Context, code: str) -> bool:
    """Publish the competition's conflicts now; False leaves them due for the timer."""
    for _ in range(ATTEMPTS):
        stored, due, revision = ctx.repo.conflicts_state(code)
        conflicts = current_conflicts(ctx.repo, ctx.repo.competition(code))
        event = pending_event("conflicts_updated", {"competition_code": code, "revision": revision + 1,
                                                    "conflicts": conflicts})
        if ctx.repo.store_conflicts(code, (stored, due), revision + 1, event):
            return True
    return False


def publish_overdue(ctx: Context) -> None:
    """Publish the conflicts a dead process left due."""
    for code in ctx.repo.conflicts_overdue(utc_now() - timedelta(seconds=GRACE_SECONDS)):
        publish_conflicts(ctx, code)
