"""The platform a benchmark measures: the four services in this process against the real broker
(a private RabbitMQ virtual host, deleted afterwards), ``MONGODB_URI`` or a throw-away local database
server (databases of the run's own) and the gateway on a free port."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from bench import database_uri


@contextmanager
def running_platform(db_prefix: str, **settings) -> Iterator[tuple[str, dict]]:
    """Yields the gateway's base URL and the services' config (``settings`` override config keys)."""
    from nameko.runners import ServiceRunner

    from services.__main__ import service_class
    from shared.config import load_config
    from shared.db import connect_database
    from tests.conftest import ADMIN, SERVICES, free_port, private_vhost

    with private_vhost() as amqp_uri, database_uri() as mongodb_uri:
        environ = {"AMQP_URI": amqp_uri, "MONGODB_URI": mongodb_uri, "MONGODB_DB_PREFIX": f"{db_prefix}{uuid.uuid4().hex[:6]}_",
                   "TOKEN_SECRET": "bench-token-secret-for-this-run-only-7f3a9c",
                   "PERSON_KEY_SECRET": "bench-person-key-secret-for-this-run-only-2b8d",
                   "ADMIN_USERNAME": ADMIN["username"], "ADMIN_PASSWORD": ADMIN["password"],
                   "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(free_port()), "LOG_LEVEL": "WARNING"}
        config = {**load_config(SERVICES, environ), **settings}
        for name in SERVICES:
            connect_database(name, config)
        runner = ServiceRunner(config)
        for name in SERVICES:
            runner.add_service(service_class(name))
        runner.start()
        try:
            yield f"http://{config['WEB_SERVER_ADDRESS']}/api/v1", config
        finally:
            runner.stop()
