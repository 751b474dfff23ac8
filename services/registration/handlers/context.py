"""What every registration handler works with, gathered once per call by the service."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from services.registration.adapters.repository import RegistrationRepository
from services.registration.domain.eligibility import EligibilityPolicy

#: The JSON Schemas of the commands' payloads.
SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


@dataclass(frozen=True)
class Context:
    repo: RegistrationRepository
    today: date  # Shanghai's date from the clock adapter (``shared.clock``): the domain never reads the host's
    policy: EligibilityPolicy
    person_secret: bytes
    dispatch: Callable[[str, dict], None]  # the service's event dispatcher (publisher confirms)
