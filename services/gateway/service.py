"""The gateway: the only HTTP service. Authenticates, checks roles, calls the others over RPC."""
from __future__ import annotations

import logging

import amqp.exceptions
import eventlet
import kombu.exceptions
from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from werkzeug.wrappers import Request

from services.gateway import auth, console
from services.gateway.http import (
    API_PREFIX,
    MAX_BODY_BYTES,
    Call,
    api_entrypoint,
    build_map,
    error_response,
    match,
    unexpected_failure,
)
from services.gateway.routes import all_routes
from shared.db import MongoDatabase, connect_database
from shared.errors import ServiceError
from shared.rpc import ExpiringRpcProxy, rpc_timeout
from shared.secrets import RequiredSecrets

log = logging.getLogger(__name__)
# Expected when the broker is down or cuts connections: a 503 and one log line each, no traceback.
BROKER_ERRORS = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError, ConnectionError, TimeoutError)
URL_MAP = build_map(all_routes())


class AdminBootstrap(DependencyProvider):
    """Creates the admin account (refusing a weak configured password) before the gateway serves.

    In ``setup``: every extension is set up before any starts, so no sign-in can arrive first.
    """

    def preflight(self, config: dict) -> None:
        auth.check_admin_password(str(config.get("ADMIN_USERNAME") or ""), str(config.get("ADMIN_PASSWORD") or ""))

    def setup(self):
        config = self.container.config
        self.preflight(config)
        connect_database(auth.ALIAS, config)
        auth.bootstrap_admin(str(config.get("ADMIN_USERNAME") or ""), str(config.get("ADMIN_PASSWORD") or ""))


class GatewayService:
    name = "gateway"

    config = Config()
    db = MongoDatabase(auth.ALIAS)
    secrets = RequiredSecrets("TOKEN_SECRET")
    admin = AdminBootstrap()
    registration = ExpiringRpcProxy("registration")
    scoring = ExpiringRpcProxy("scoring")
    awards = ExpiringRpcProxy("awards")

    @api_entrypoint("GET,POST,PUT,PATCH,DELETE,OPTIONS", API_PREFIX + "/<path:path>")
    def api(self, request: Request, path: str):
        """Every API request. Refusals leave as their envelope; a backend that is not there (no
        queue, no answer in time, its database down) is a 503 to retry; any other fault, ours or a
        backend's, is a 500 with a correlation id (retrying would not help, and must not hide it)."""
        try:
            return self._dispatch(request)
        except ServiceError as error:
            return error_response(error)
        except (UnknownService, eventlet.Timeout, *BROKER_ERRORS) as exc:
            log.warning("backend unavailable for %s %r: %s: %s", request.method, request.path,
                        type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
            return error_response(ServiceError(
                "UNAVAILABLE", "a backend service is not answering; retry shortly with the same request_id"))
        except RemoteError as exc:
            return unexpected_failure(request, exc, f"backend fault {exc.exc_type}")
        except Exception as exc:
            return unexpected_failure(request, exc)

    @api_entrypoint("GET", "/")
    def console_page(self, request: Request):
        return console.serve(request, "index.html")

    @api_entrypoint("GET", console.PREFIX + "<path:path>")
    def console_file(self, request: Request, path: str):
        return console.serve(request, path)

    def _dispatch(self, request: Request):
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            raise ServiceError("PAYLOAD_TOO_LARGE", f"the body is larger than {MAX_BODY_BYTES} bytes")
        route, params = match(URL_MAP, request)
        call = Call(worker=self, request=request, params=params)
        if route.roles is not None:
            call.user = auth.verify_bearer(request.headers.get("Authorization"), self.config["TOKEN_SECRET"])
            auth.check_account(call.user)
            auth.authorise(call.user, route.roles)
        with eventlet.Timeout(rpc_timeout(self.config)):
            return route.handler(call)


SERVICE = GatewayService
