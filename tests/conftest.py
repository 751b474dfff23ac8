"""Test fixtures: a private RabbitMQ virtual host per session, a database server per session, the
services running against both, and an HTTP client for the gateway.

The database is reached over the MongoDB wire protocol: the local server (``shared.localdb``) on a
fresh data folder per session, or, when ``MONGODB_URI`` is set (``make test-mongo``), that MongoDB
with database names of this session's own, dropped afterwards."""
import eventlet

eventlet.monkey_patch()  # noqa: E402 - must run before anything imports socket/threading

import contextlib  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
import requests  # noqa: E402

from shared.config import load_config  # noqa: E402
from shared.db import connect_database  # noqa: E402
from shared.localdb import running as local_database  # noqa: E402

BROKER = os.environ.get("TEST_AMQP_BASE", "pyamqp://guest:guest@127.0.0.1:5672/")
ADMIN = {"username": "admin", "password": "test-root-password-7"}
SERVICES = ("registration", "scoring", "awards", "gateway")


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


@contextlib.contextmanager
def private_vhost():
    """A RabbitMQ virtual host of our own, deleted afterwards: no message of another run is seen."""
    vhost = f"skills-test-{uuid.uuid4().hex[:12]}"
    _rabbitmqctl("add_vhost", vhost)
    try:
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield BROKER + vhost
    finally:
        _rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
def amqp_uri():
    """The vhost the session's services run on."""
    with private_vhost() as uri:
        yield uri


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def session_db_prefix() -> str:
    """Database names of one test run's own: runs sharing a MongoDB never see each other's data."""
    return f"test_{uuid.uuid4().hex[:8]}_"


@pytest.fixture(scope="session")
def mongodb_uri(tmp_path_factory):
    """``MONGODB_URI`` when set, else a local server on a fresh data folder, stopped afterwards."""
    external = os.environ.get("MONGODB_URI", "").strip()
    if external:
        yield external
        return
    with local_database(tmp_path_factory.mktemp("data")) as uri:
        yield uri


@pytest.fixture(scope="session")
def db_prefix(mongodb_uri):
    prefix = session_db_prefix()
    yield prefix
    import pymongo

    with pymongo.MongoClient(mongodb_uri) as client:
        for name in SERVICES:
            client.drop_database(prefix + name)


@pytest.fixture(scope="session")
def test_config(amqp_uri, mongodb_uri, db_prefix):
    environ = {
        "AMQP_URI": amqp_uri,
        "MONGODB_URI": mongodb_uri,
        "MONGODB_DB_PREFIX": db_prefix,
        "TOKEN_SECRET": "test-token-secret",
        "PERSON_KEY_SECRET": "test-person-key-secret",
        "ADMIN_USERNAME": ADMIN["username"],
        "ADMIN_PASSWORD": ADMIN["password"],
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
    }
    return load_config(SERVICES, environ)


@pytest.fixture(scope="session")
def databases(test_config):
    """The services' databases over the wire, connected once per test session."""
    return {name: connect_database(name, test_config) for name in SERVICES}


@pytest.fixture(scope="session")
def platform(test_config, databases):
    """All four services running against the real broker; yields the gateway's base URL."""
    from nameko.runners import ServiceRunner

    from services.__main__ import service_class

    runner = ServiceRunner(test_config)
    for name in SERVICES:
        runner.add_service(service_class(name))
    runner.start()
    yield f"http://{test_config['WEB_SERVER_ADDRESS']}/api/v1"
    runner.stop()


class Api:
    """A thin HTTP client that remembers a bearer token."""

    def __init__(self, base: str, token: str | None = None):
        self.base = base
        self.token = token

    def request(self, method: str, path: str, token: str | None = None, **kwargs) -> requests.Response:
        headers = kwargs.pop("headers", {})
        bearer = token or self.token
        if bearer:
            headers.setdefault("Authorization", f"Bearer {bearer}")
        return requests.request(method, self.base + path, headers=headers, timeout=30, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    def sign_in(self, username: str, password: str) -> "Api":
        reply = self.post("/auth/tokens", json={"username": username, "password": password})
        assert reply.status_code == 201, reply.text
        return Api(self.base, reply.json()["token"])


@pytest.fixture(scope="session")
def admin_api(platform) -> Api:
    return Api(platform).sign_in(ADMIN["username"], ADMIN["password"])


def user_maker(admin_api: Api):
    """Create an account with ``role`` and return an Api signed in as it (username on ``.username``)."""

    def make(role: str, username: str | None = None) -> Api:
        username = username or f"{role}-{uuid.uuid4().hex[:8]}"
        password = "password-" + uuid.uuid4().hex[:8]
        reply = admin_api.post("/users", json={"username": username, "password": password, "role": role, "name": username})
        assert reply.status_code == 201, reply.text
        api = Api(admin_api.base).sign_in(username, password)
        api.username = username
        return api

    return make


@pytest.fixture(scope="session")
def make_user(admin_api):
    return user_maker(admin_api)


@pytest.fixture(scope="session")
def organiser_api(make_user) -> Api:
    return make_user("organiser")


@pytest.fixture(scope="session")
def anonymous_api(platform) -> Api:
    return Api(platform)
