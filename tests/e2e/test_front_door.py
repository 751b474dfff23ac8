"""`python -m services` (what `make run` starts) as a user would: embedded and against RabbitMQ."""
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import free_port, private_vhost
from tests.e2e.helpers import competition_payload

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def start(extra_env: dict):
    port = free_port()
    env = {**os.environ, "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port), "ADMIN_PASSWORD": "front-door-pw",
           "MONGODB_URI": "", "LOG_LEVEL": "INFO", **extra_env}
    process = subprocess.Popen([sys.executable, "-m", "services"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return process, f"http://127.0.0.1:{port}/api/v1"


def wait_healthy(base: str, process) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stdout.read()
        try:
            reply = requests.get(base + "/health", timeout=5)
            if reply.status_code == 200:
                return reply.json()
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    pytest.fail("the system did not become healthy within 60 s")


def stop(process) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output


def organiser_flow(base: str) -> None:
    token = requests.post(base + "/auth/tokens", json={"username": "admin", "password": "front-door-pw"}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    reply = requests.post(base + "/competitions", json=competition_payload(), headers=headers)
    assert reply.status_code == 201, reply.text
    assert requests.get(base + "/competitions", headers=headers).json()["items"]


def test_embedded_default_runs_everything_in_one_process_and_says_so():
    process, base = start({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/"})
    try:
        health = wait_healthy(base, process)
        assert set(health["services"]) == {"registration", "scoring", "awards", "gateway"}
        organiser_flow(base)
    finally:
        output = stop(process)
    assert "in-memory broker" in output and "data is not kept" in output


@pytest.fixture
def own_vhost():
    """Not the session's vhost: its services would answer this system's RPC calls too."""
    with private_vhost() as uri:
        yield uri


def test_with_rabbitmq_each_service_runs_in_its_own_process(own_vhost):
    process, base = start({"AMQP_URI": own_vhost})
    try:
        health = wait_healthy(base, process)
        assert all(s["status"] == "ok" for s in health["services"].values())
        organiser_flow(base)
        children = subprocess.run(["pgrep", "-P", str(process.pid)], capture_output=True, text=True).stdout.split()
        assert len(children) == 4
    finally:
        output = stop(process)
    assert "its own process" in output
