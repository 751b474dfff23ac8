"""HTTP routes served by the awards service."""
from __future__ import annotations

from services.gateway.http import Route

ROUTES: list[Route] = []
