"""What registration does with other services' events (each applied once per ``event_id``)."""
from __future__ import annotations

from services.registration.adapters.repository import RegistrationRepository


def on_marking_opened(repo: RegistrationRepository, event: dict) -> None:
    """From now on the roster is what the judges mark: registration may not reopen."""
    repo.update_competition(event["competition_code"], {"$set": {"marking_started": True}})
