"""Sign-in benchmark: ``.venv/bin/python -m bench.signin`` (run on purpose, never as a test).

Password hashing (argon2id) costs tens of milliseconds of CPU per sign-in. Run on the eventlet hub it
stalls every other request of the gateway; run in eventlet's thread pool (what ``auth`` does) the
hub keeps answering. This runs the four services in this process against the real broker (private
virtual host) and, from a separate process, measures the latency of an unrelated request
(``GET /api/v1/openapi.json``, one client, back to back):

1. idle;
2. under 16 clients sending bad sign-ins in parallel, hashing in the thread pool (the gateway as is);
3. the same load with hashing on the hub (how the gateway was before), for comparison.

The sign-in throttle is raised for the run so that every bad sign-in really verifies a hash.
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402

import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

SIGNERS = 16
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))


# --------------------------------------------------------------------------- load generator (child process)


def _connection(base: str):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=120), parts.path


def measure(spec: dict) -> dict:
    """openapi latencies for ``seconds``, with ``signers`` clients sending bad sign-ins meanwhile."""
    stop = time.perf_counter() + spec["seconds"]
    signed = [0]

    def bad_sign_ins(n: int):
        conn, prefix = _connection(spec["base"])
        body = json.dumps({"username": f"nobody-{n}", "password": "not the password"})
        while time.perf_counter() < stop:
            conn.request("POST", prefix + "/auth/tokens", body=body, headers={"Content-Type": "application/json"})
            reply = conn.getresponse()
            reply.read()
            assert reply.status == 401, reply.status
            signed[0] += 1

    pool = eventlet.GreenPool(spec["signers"] + 1)
    for n in range(spec["signers"]):
        pool.spawn(bad_sign_ins, n)
    eventlet.sleep(0.2 if spec["signers"] else 0)
    conn, prefix = _connection(spec["base"])
    latencies = []
    while time.perf_counter() < stop:
        began = time.perf_counter()
        conn.request("GET", prefix + "/openapi.json")
        reply = conn.getresponse()
        reply.read()
        assert reply.status == 200, reply.status
        latencies.append(time.perf_counter() - began)
    pool.waitall()
    return {"latencies": latencies, "sign_ins": signed[0], "seconds": spec["seconds"]}


def run_measure(spec: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    try:
        out = subprocess.run([sys.executable, "-W", "ignore", "-m", "bench.signin", "--load", handle.name],
                             check=True, capture_output=True, text=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        os.unlink(handle.name)


def report(label: str, result: dict) -> None:
    latencies = sorted(result["latencies"])
    p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
    print(f"{label:<44} openapi median {statistics.median(latencies) * 1000:8.1f} ms  p95 {p95 * 1000:8.1f} ms  "
          f"max {latencies[-1] * 1000:8.1f} ms  ({len(latencies)} requests, "
          f"{result['sign_ins'] / result['seconds']:.1f} bad sign-ins/s)", flush=True)


# --------------------------------------------------------------------------- the platform (this process)


class _OnTheHub:
    """Stands in for ``eventlet.tpool``: runs the hash in the calling greenthread, as before."""

    @staticmethod
    def execute(function, *args, **kwargs):
        return function(*args, **kwargs)


def main() -> int:
    from bench.platform import running_platform
    from services.gateway import auth

    unlimited = {"SIGNIN_ACCOUNT_FAILURES": 10**9, "SIGNIN_ADDRESS_FAILURES": 10**9}
    with running_platform("bench_signin_", LOG_LEVEL="ERROR", **unlimited) as (base, _config):
        report("idle", run_measure({"base": base, "signers": 0, "seconds": SECONDS}))
        report(f"{SIGNERS} parallel bad sign-ins, hash in thread pool", run_measure(
            {"base": base, "signers": SIGNERS, "seconds": SECONDS}))
        thread_pool, auth.tpool = auth.tpool, _OnTheHub
        try:
            report(f"{SIGNERS} parallel bad sign-ins, hash on the hub", run_measure(
                {"base": base, "signers": SIGNERS, "seconds": SECONDS}))
        finally:
            auth.tpool = thread_pool
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--load":
        with open(sys.argv[2], encoding="utf-8") as spec_file:
            print(json.dumps(measure(json.load(spec_file))))
        sys.exit(0)
    sys.exit(main())
