"""Every route of the API, gathered from one module per area."""
from services.gateway.routes import auth, awards, registration, scoring, system


def all_routes():
    return [*system.ROUTES, *auth.ROUTES, *registration.ROUTES, *scoring.ROUTES, *awards.ROUTES]
