"""When a backend cannot answer, the client gets 503 with Retry-After and one log line (no
traceback), and a request it was told 503 about is not executed later: RPC requests expire in the
broker after the RPC timeout."""
from __future__ import annotations

import logging
import subprocess
import time

import amqp.exceptions
import kombu.exceptions
import pytest
import requests
from nameko.runners import ServiceRunner
from nameko.testing.services import worker_factory
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.__main__ import service_class
from services.gateway.service import GatewayService
from tests.conftest import free_port, private_vhost


def get(worker, token: str, path: str):
    environ = EnvironBuilder(method="GET", path="/api/v1" + path, headers={"Authorization": f"Bearer {token}"})
    return worker.api(Request(environ.get_environ()), path.lstrip("/"))


@pytest.mark.parametrize("failure", [
    kombu.exceptions.OperationalError("[Errno 111] Connection refused"),
    amqp.exceptions.ConnectionForced("CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'"),
    ConnectionResetError(104, "Connection reset by peer"),
], ids=["operational", "connection-forced", "reset"])
def test_a_broker_failure_is_a_503_with_retry_after_and_one_log_line(test_config, organiser_api, failure, caplog):
    worker = worker_factory(GatewayService, config=test_config)
    worker.registration.list_competitions.side_effect = failure
    with caplog.at_level(logging.WARNING, logger="services.gateway.service"):
        reply = get(worker, organiser_api.token, "/competitions")
    assert reply.status_code == 503
    assert reply.headers["Retry-After"] == "5"
    assert "retry shortly with the same request_id" in reply.get_json()["error"]["message"]
    [record] = [r for r in caplog.records if r.name == "services.gateway.service"]
    assert record.exc_info is None and "\n" not in record.getMessage()


def queued_messages(vhost: str, queue: str) -> int:
    listing = subprocess.run(["rabbitmqctl", "list_queues", "-q", "-p", vhost, "name", "messages"],
                             check=True, capture_output=True, text=True, timeout=60).stdout
    counts = dict(line.split() for line in listing.splitlines() if line.strip() and not line.startswith("name"))
    return int(counts.get(queue, 0))


def test_a_request_answered_503_is_not_executed_later(test_config, organiser_api):
    """Registration is stopped (its queue stays); the gateway's request expires instead of waiting there."""
    with private_vhost() as amqp_uri:
        vhost = amqp_uri.rsplit("/", 1)[1]
        config = {**test_config, "AMQP_URI": amqp_uri, "RPC_TIMEOUT_SECONDS": 1,
                  "WEB_SERVER_ADDRESS": f"127.0.0.1:{free_port()}"}
        registration = ServiceRunner(config)
        registration.add_service(service_class("registration"))
        registration.start()
        registration.stop()  # the rpc-registration queue stays, with no consumer
        gateway = ServiceRunner(config)
        gateway.add_service(service_class("gateway"))
        gateway.start()
        try:
            reply = requests.get(f"http://{config['WEB_SERVER_ADDRESS']}/api/v1/competitions",
                                 headers={"Authorization": f"Bearer {organiser_api.token}"}, timeout=30)
            assert reply.status_code == 503 and reply.headers["Retry-After"]
            deadline = time.monotonic() + 15
            while queued_messages(vhost, "rpc-registration") and time.monotonic() < deadline:
                time.sleep(0.5)
            assert queued_messages(vhost, "rpc-registration") == 0
        finally:
            gateway.stop()
