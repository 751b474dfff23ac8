"""`python -m services` (what `make run` starts) as a user would: embedded and against RabbitMQ,
on the local database server in a data folder of the test's own, stopped and started again."""
import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import free_port, private_vhost, session_db_prefix
from tests.e2e.helpers import competition_payload

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


EXTERNAL_DB = bool(os.environ.get("MONGODB_URI", "").strip())


@pytest.fixture
def system_env(tmp_path) -> dict:
    """A data folder of this test's own (and database names of its own on an external MongoDB)."""
    return {"DATA_DIR": str(tmp_path / "data"), "MONGODB_DB_PREFIX": session_db_prefix(),
            "MONGODB_URI": os.environ.get("MONGODB_URI", "")}


def start(extra_env: dict):
    port = free_port()
    env = {**os.environ, "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(port), "ADMIN_PASSWORD": "front-door-pw",
           "LOG_LEVEL": "INFO", **extra_env}
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


def admin_headers(base: str) -> dict:
    reply = requests.post(base + "/auth/tokens", json={"username": "admin", "password": "front-door-pw"})
    assert reply.status_code == 201, reply.text
    return {"Authorization": f"Bearer {reply.json()['token']}"}


def organiser_flow(base: str) -> str:
    """Create a competition; return its code."""
    headers = admin_headers(base)
    reply = requests.post(base + "/competitions", json=competition_payload(), headers=headers)
    assert reply.status_code == 201, reply.text
    assert requests.get(base + "/competitions", headers=headers).json()["items"]
    return reply.json()["code"]


def competition_codes(base: str) -> set[str]:
    reply = requests.get(base + "/competitions", headers=admin_headers(base))
    assert reply.status_code == 200, reply.text
    return {item["code"] for item in reply.json()["items"]}


def assert_local_database_announced(output: str, data_dir: str) -> None:
    if not EXTERNAL_DB:
        assert f"data is kept in {data_dir}" in output, output
        assert "make backup" in output


def test_embedded_default_runs_everything_in_one_process_and_says_so(system_env):
    process, base = start({"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", **system_env})
    try:
        health = wait_healthy(base, process)
        assert set(health["services"]) == {"registration", "scoring", "awards", "gateway"}
        organiser_flow(base)
    finally:
        output = stop(process)
    assert "in-memory broker" in output
    assert_local_database_announced(output, system_env["DATA_DIR"])


def test_stopped_and_started_again_the_system_keeps_its_data(system_env):
    """What an organiser trying the system does: stop `make run`, start it again, find their work."""
    env = {"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", **system_env}
    process, base = start(env)
    try:
        wait_healthy(base, process)
        code = organiser_flow(base)
    finally:
        first_output = stop(process)
    assert process.returncode == 0, first_output
    process, base = start(env)
    try:
        wait_healthy(base, process)
        assert code in competition_codes(base)
    finally:
        stop(process)


def test_a_second_system_on_the_same_data_folder_is_refused(system_env):
    if EXTERNAL_DB:
        pytest.skip("the local server's folder lock; MONGODB_URI is set")
    env = {"AMQP_URI": "pyamqp://guest:guest@127.0.0.1:1/", **system_env}
    process, base = start(env)
    try:
        wait_healthy(base, process)
        second, _ = start(env)
        output, _ = second.communicate(timeout=60)
        assert second.returncode != 0
        assert "already uses" in output
    finally:
        stop(process)


@pytest.fixture
def own_vhost():
    """Not the session's vhost: its services would answer this system's RPC calls too."""
    with private_vhost() as uri:
        yield uri


def test_with_rabbitmq_each_service_runs_in_its_own_process(own_vhost, system_env):
    process, base = start({"AMQP_URI": own_vhost, **system_env})
    try:
        health = wait_healthy(base, process)
        assert all(s["status"] == "ok" for s in health["services"].values())
        organiser_flow(base)
        children = subprocess.run(["pgrep", "-P", str(process.pid), "-f", "services --one"],
                                  capture_output=True, text=True).stdout.split()
        assert len(children) == 4
    finally:
        output = stop(process)
    assert "its own process" in output
    assert_local_database_announced(output, system_env["DATA_DIR"])
