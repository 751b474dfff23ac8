"""Container health check: ``python -m shared.healthcheck NAME`` exits 0 when service NAME answers.

The gateway is asked over HTTP (``/api/v1/openapi.json``, which needs no backend); the other
services over RPC (their ``health`` method, which also pings their database). Used by
docker-compose; the configuration comes from the environment as for the service itself.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import sys  # noqa: E402
import urllib.request  # noqa: E402

from shared.config import load_config  # noqa: E402

TIMEOUT_SECONDS = 5


def gateway_answers(config: dict) -> bool:
    host, port = str(config["WEB_SERVER_ADDRESS"]).rsplit(":", 1)
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    with urllib.request.urlopen(f"http://{host}:{port}/api/v1/openapi.json", timeout=TIMEOUT_SECONDS) as reply:
        return reply.status == 200


def service_answers(name: str, config: dict) -> bool:
    from nameko.standalone.rpc import ClusterRpcProxy

    with ClusterRpcProxy(config, timeout=TIMEOUT_SECONDS) as cluster:
        return getattr(cluster, name).health().get("status") == "ok"


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m shared.healthcheck NAME", file=sys.stderr)
        return 2
    name = argv[0]
    config = load_config((name,))
    try:
        healthy = gateway_answers(config) if name == "gateway" else service_answers(name, config)
    except Exception as exc:  # any failure to get an answer means unhealthy
        print(f"{name}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"{name}: {'ok' if healthy else 'unhealthy'}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
