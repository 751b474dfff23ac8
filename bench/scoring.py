"""Scoring benchmark: ``.venv/bin/python -m bench.scoring`` (run on purpose, never as a test).

Runs the four services in this process against the real broker (a private RabbitMQ virtual host,
deleted afterwards) with the in-process database engine and the gateway on a free port, builds a
competition of 45 contestants, 10 judges and a 300-aspect scheme (every third aspect a judgement),
then measures, with load generated from a separate process (so the services keep this process):

1. the ceiling: a bare nameko RPC ping (``scoring.health`` from a standalone ClusterRpcProxy,
   10 concurrent greenlets), calls/s;
2. single-mark requests over HTTP from 10 concurrent clients (one judge each), requests/s, and
   their ratio to the ping rate (target: at least 0.5);
3. batch submission: whole sub-criteria (45 contestants × 30 aspects = 1350 marks a request),
   marks/s (target: at least 20,000);
4. finalising the competition (45 × 300 aspects, 3 judges' scores on each judgement aspect),
   seconds (target: under 1).
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # noqa: E402

import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402


CONTESTANTS, ASPECTS, PER_SUB, JUDGES, CLIENTS = 45, 300, 30, 10, 10
SECONDS = float(os.environ.get("BENCH_SECONDS", "5"))


# --------------------------------------------------------------------------- load generators (child process)


def load_ping(spec: dict) -> dict:
    from nameko.standalone.rpc import ClusterRpcProxy

    done = [0]
    stop = time.perf_counter() + spec["seconds"]

    def worker(proxy):
        while time.perf_counter() < stop:
            proxy.scoring.health()
            done[0] += 1

    proxies = [ClusterRpcProxy({"AMQP_URI": spec["amqp_uri"]}) for _ in range(CLIENTS)]
    started = [p.start() for p in proxies]
    for proxy in started:  # warm up
        proxy.scoring.health()
    begin = time.perf_counter()
    stop = begin + spec["seconds"]
    pool = eventlet.GreenPool(CLIENTS)
    for proxy in started:
        pool.spawn(worker, proxy)
    pool.waitall()
    elapsed = time.perf_counter() - begin
    for p in proxies:
        p.stop()
    return {"calls": done[0], "seconds": elapsed}


def _connection(base: str):
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=60), parts.path


def _post(conn, path: str, token: str, body: dict) -> tuple[int, bytes]:
    conn.request("POST", path, body=json.dumps(body), headers={"Authorization": f"Bearer {token}",
                                                              "Content-Type": "application/json"})
    reply = conn.getresponse()
    return reply.status, reply.read()


def load_single(spec: dict) -> dict:
    done, failed = [0], [0]
    measurement = [a for a in spec["aspects"] if a["type"] == "M"]
    stop = [0.0]

    def worker(n: int):
        conn, prefix = _connection(spec["base"])
        token = spec["tokens"][n]
        path = f"{prefix}/competitions/{spec['code']}/marks"
        i = 0
        while time.perf_counter() < stop[0]:
            aspect = measurement[(i * CLIENTS + n) % len(measurement)]
            contestant = spec["contestants"][(i + n) % len(spec["contestants"])]
            status, body = _post(conn, path, token, {"request_id": uuid.uuid4().hex, "marks": [
                {"contestant_id": contestant, "aspect": aspect["id"], "value": aspect["max"]}]})
            if status == 200:
                done[0] += 1
            else:
                failed[0] += 1
                if failed[0] < 3:
                    print(status, body[:300], file=sys.stderr)
            i += 1

    begin = time.perf_counter()
    stop[0] = begin + spec["seconds"]
    pool = eventlet.GreenPool(CLIENTS)
    for n in range(CLIENTS):
        pool.spawn(worker, n)
    pool.waitall()
    return {"requests": done[0], "failed": failed[0], "seconds": time.perf_counter() - begin}


def load_batch(spec: dict) -> dict:
    """Judge 0 sends every sub-criterion whole (marks and scores); judges 1 and 2 their scores."""
    conn, prefix = _connection(spec["base"])
    path = f"{prefix}/competitions/{spec['code']}/marks"
    by_sub: dict[str, list[dict]] = {}
    for aspect in spec["aspects"]:
        by_sub.setdefault(aspect["sub"], []).append(aspect)
    requests = []
    for judge in range(3):
        for sub, aspects in by_sub.items():
            marks = []
            for cid in spec["contestants"]:
                for a in aspects:
                    if a["type"] == "J":
                        marks.append({"contestant_id": cid, "aspect": a["id"], "score": 2})
                    elif judge == 0:
                        marks.append({"contestant_id": cid, "aspect": a["id"], "value": a["half"]})
            requests.append((spec["tokens"][judge], {"request_id": uuid.uuid4().hex, "marks": marks}))
    bodies = [(token, json.dumps(body), len(body["marks"])) for token, body in requests]
    marks = failed = 0
    begin = time.perf_counter()
    for token, body, count in bodies:
        conn.request("POST", path, body=body, headers={"Authorization": f"Bearer {token}",
                                                       "Content-Type": "application/json"})
        reply = conn.getresponse()
        text = reply.read()
        if reply.status == 200:
            marks += count
        else:
            failed += 1
            print(reply.status, text[:500], file=sys.stderr)
    return {"marks": marks, "requests": len(bodies), "failed": failed, "seconds": time.perf_counter() - begin}


def run_load(kind: str, spec: dict) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(spec, handle)
    try:
        out = subprocess.run([sys.executable, "-W", "ignore", "-m", "bench.scoring", "--load", kind, handle.name],
                             check=True, capture_output=True, text=True, timeout=600)
    except subprocess.CalledProcessError as exc:
        print(exc.stderr, file=sys.stderr)
        raise
    if out.stderr.strip():
        print(out.stderr.strip()[-2000:], file=sys.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- the platform (this process)


def setup_competition(base: str) -> dict:
    import requests

    from tests.conftest import ADMIN
    from tests.e2e.helpers import competition_payload, person
    from tests.e2e.scoring_fixtures import big_scheme

    session = requests.Session()

    def call(method, path, token, **kw):
        reply = session.request(method, base + path, headers={"Authorization": f"Bearer {token}"}, timeout=60, **kw)
        assert reply.status_code in (200, 201), (path, reply.status_code, reply.text[:500])
        return reply.json()

    def sign_in(username, password):
        return session.post(base + "/auth/tokens", json={"username": username, "password": password}).json()["token"]

    admin = sign_in(ADMIN["username"], ADMIN["password"])

    def user(role):
        name, password = f"{role}-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
        call("POST", "/users", admin, json={"username": name, "password": password, "role": role, "name": name})
        return name, sign_in(name, password)

    _, organiser = user("organiser")
    judges = [user("judge") for _ in range(JUDGES)]
    chief = user("chief_expert")
    code = call("POST", "/competitions", organiser, json=competition_payload(capacity=CONTESTANTS + 5))["code"]
    call("POST", f"/competitions/{code}/open", organiser)
    contestants = [call("POST", f"/competitions/{code}/contestants", organiser,
                        json=person(name=f"选手{i}", employer=f"单位{i}"))["contestant_id"] for i in range(CONTESTANTS)]
    for (name, _), role in [*((j, "judge") for j in judges), (chief, "chief_expert")]:
        call("POST", f"/competitions/{code}/judges", organiser,
             json={"username": name, "name": name, "employer": "评委单位", "role": role})
    call("POST", f"/competitions/{code}/close", organiser)
    scheme = call("PUT", f"/competitions/{code}/marking-scheme", organiser, json=big_scheme(ASPECTS // PER_SUB, PER_SUB))
    call("POST", f"/competitions/{code}/marking/open", organiser)
    aspects = [{"id": a["id"], "type": a["type"], "sub": s["id"], "max": a["max_mark"],
                "half": a["max_mark"]} for s in scheme["scheme"]["sub_criteria"] for a in s["aspects"]]
    return {"base": base, "code": code, "contestants": contestants, "aspects": aspects,
            "tokens": [t for _, t in judges], "chief": chief[1], "subs": [s["id"] for s in scheme["scheme"]["sub_criteria"]],
            "call": call}


def main() -> int:
    from bench.platform import running_platform

    with running_platform("bench_") as (base, config):
        amqp_uri = config["AMQP_URI"]
        bench = setup_competition(base)
        call = bench.pop("call")
        spec = {**bench, "amqp_uri": amqp_uri, "seconds": SECONDS}
        del spec["chief"]
        print(f"competition {bench['code']}: {CONTESTANTS} contestants, {ASPECTS} aspects, {JUDGES} judges", flush=True)

        cpu = time.process_time()
        ping = run_load("ping", spec)
        ping_cpu, cpu = (time.process_time() - cpu) / ping["calls"] * 1000, time.process_time()
        ping_rate = ping["calls"] / ping["seconds"]
        print(f"RPC ping (scoring.health, {CLIENTS} greenlets):    {ping_rate:8.0f} calls/s", flush=True)

        profile = None
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profile = cProfile.Profile()
            profile.enable()
        single = run_load("single", spec)
        if profile:
            import pstats

            profile.disable()
            pstats.Stats(profile).sort_stats(os.environ["BENCH_PROFILE"]).print_stats(45)
        single_rate = single["requests"] / single["seconds"]
        single_cpu = (time.process_time() - cpu) / max(single["requests"], 1) * 1000
        print(f"  services' CPU per call: ping {ping_cpu:.2f} ms, single mark {single_cpu:.2f} ms", flush=True)
        ratio = single_rate / ping_rate
        print(f"single-mark POST over HTTP ({CLIENTS} clients):      {single_rate:8.0f} requests/s"
              f"  ratio to ping {ratio:.2f} (target >= 0.50){'' if not single['failed'] else ' FAILED: %d' % single['failed']}",
              flush=True)

        batch = run_load("batch", spec)
        batch_rate = batch["marks"] / batch["seconds"]
        print(f"batch POST ({batch['requests']} requests, {batch['marks']} marks):    {batch_rate:8.0f} marks/s"
              f"  (target >= 20000){'' if not batch['failed'] else ' FAILED: %d' % batch['failed']}", flush=True)

        for sub in bench["subs"]:
            call("POST", f"/competitions/{bench['code']}/sub-criteria/{sub}/lock", bench["chief"])
        begin = time.perf_counter()
        final = call("POST", f"/competitions/{bench['code']}/results/finalise", bench["chief"])
        finalise_seconds = time.perf_counter() - begin
        assert len(final["results"]) == CONTESTANTS
        print(f"finalise {CONTESTANTS} x {ASPECTS} aspects (3 judges on J):  {finalise_seconds:8.3f} s"
              f"  (target < 1)", flush=True)
        ok = ratio >= 0.5 and batch_rate >= 20000 and finalise_seconds < 1 and not (single["failed"] or batch["failed"])
        print("all targets met" if ok else "some targets missed", flush=True)
        return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--load":
        with open(sys.argv[3]) as handle:
            spec = json.load(handle)
        result = {"ping": load_ping, "single": load_single, "batch": load_batch}[sys.argv[2]](spec)
        print(json.dumps(result))
        sys.exit(0)
    sys.exit(main())
