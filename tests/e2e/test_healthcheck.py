"""The containers' health check: each service answers when it runs, and not when it does not."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import SERVICES, private_vhost

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def healthcheck(name: str, amqp_uri: str, gateway_address: str) -> subprocess.CompletedProcess:
    host, port = gateway_address.rsplit(":", 1)
    env = {**os.environ, "AMQP_URI": amqp_uri, "GATEWAY_HOST": host, "GATEWAY_PORT": port}
    return subprocess.run([sys.executable, "-m", "shared.healthcheck", name], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("name", SERVICES)
def test_a_running_service_is_healthy(name, platform, amqp_uri, test_config):
    result = healthcheck(name, amqp_uri, test_config["WEB_SERVER_ADDRESS"])
    assert result.returncode == 0, result.stderr
    assert f"{name}: ok" in result.stdout


def test_a_service_that_is_not_running_is_unhealthy(test_config):
    with private_vhost() as empty:
        result = healthcheck("scoring", empty, "127.0.0.1:1")
        gateway = healthcheck("gateway", empty, "127.0.0.1:1")
    assert result.returncode == 1 and "scoring" in result.stderr
    assert gateway.returncode == 1 and "gateway" in gateway.stderr
