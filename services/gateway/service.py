"""The gateway: the only HTTP service. Authenticates, checks roles, calls the others over RPC."""
from __future__ import annotations

import logging

import amqp.exceptions
import eventlet
import kombu.exceptions
from nameko.dependency_providers import Config
from nameko.exceptions import RemoteError, UnknownService
from nameko.extensions import DependencyProvider
from nameko.web.handlers import http
from werkzeug.wrappers import Request

from services.gateway import auth, console
from services.gateway.http import (API_PREFIX, MAX_BODY_BYTES, Call, build_map, error_response,
                                   match, unexpected_failure)
from services.gateway.routes import all_routes
from shared.db import MongoDatabase, connect_database
from shared.errors import ServiceError
from shared.rpc import ExpiringRpcProxy, rpc_timeout
from shared.secrets import RequiredSecrets

log = logging.getLogger(__name__)
# Expected when the broker is down or cuts connections: a 503 and one log line each, no traceback.
BROKER_ERRORS = (kombu.exceptions.OperationalError, amqp.exceptions.ConnectionError, ConnectionError, TimeoutError)
RETRY_AFTER_SECONDS = "5"
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

    @http("GET,POST,PUT,PATCH,DELETE", API_PREFIX + "/<path:path>")
    def api(self, request: Request, path: str):
        try:
            return self._dispatch(request)
        except ServiceError as error:
            return error_response(error)
        except (UnknownService, eventlet.Timeout, *BROKER_ERRORS) as exc:
            log.warning("backend unavailable for %s %s: %s: %s", request.method, request.path,
                        type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
            response = error_response(ServiceError(
                "UNAVAILABLE", "a backend service is not answering; retry shortly with the same request_id"))
            response.headers["Retry-After"] = RETRY_AFTER_SECONDS
            return response
        except RemoteError as exc:
            log.error("backend failed on %s %s: %s", request.method, request.path, exc)
            return error_response(ServiceError("UNAVAILABLE", "a backend service failed to complete the request"))
        except Exception as exc:
            return unexpected_failure(request, exc)

    @http("GET", "/")
    def console_page(self, request: Request):
        return console.serve(request, "index.html")

    @http("GET", console.PREFIX + "<path:path>")
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
