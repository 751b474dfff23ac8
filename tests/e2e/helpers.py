"""Builders the end-to-end tests share: competitions, contestants and judges made over HTTP."""
from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

from tests.unit.registration.idgen import make_resident_id


def assert_error(reply, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["error"]["code"] == code, body
    assert body["error"]["message"]
    return body["error"]


def wait_for(fetch, ready, seconds: float = 15.0):
    """Poll ``fetch()`` until ``ready(reply)`` or the time is up; events arrive asynchronously."""
    deadline = time.monotonic() + seconds
    while True:
        reply = fetch()
        if ready(reply) or time.monotonic() > deadline:
            return reply
        time.sleep(0.1)


def unique_code(prefix: str = "C") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def competition_payload(code: str | None = None, **overrides) -> dict:
    today = date.today()
    payload = {
        "code": code or unique_code(),
        "name": "第十届上海市职业技能大赛 焊工",
        "tier": "municipal_class_1",
        "skill": {"code": "10", "name": "焊工 Welding"},
        "skill_level": 2,
        "team_size": 1,
        "start_date": (today + timedelta(days=60)).isoformat(),
        "end_date": (today + timedelta(days=62)).isoformat(),
        "registration_deadline": (today + timedelta(days=30)).isoformat(),
        "capacity": 50,
        "conflict_relations": ["same_employer", "same_training_base", "declared"],
    }
    payload.update(overrides)
    return payload


def open_competition(api, **overrides) -> dict:
    reply = api.post("/competitions", json=competition_payload(**overrides))
    assert reply.status_code == 201, reply.text
    code = reply.json()["code"]
    reply = api.post(f"/competitions/{code}/open")
    assert reply.status_code == 200, reply.text
    return reply.json()


_seq = iter(range(100, 999))


def person(name: str = "张三", birth: date = date(2000, 5, 3), **overrides) -> dict:
    payload = {
        "name": name, "gender": "male", "date_of_birth": birth.isoformat(),
        "id_number": make_resident_id(birth=birth, seq=str(next(_seq))),
        "employer": "上海电气集团", "delegation": {"kind": "district", "name": "浦东新区"},
        "skill_level": 3, "employment": "employee", "team": None,
    }
    payload.update(overrides)
    return payload


def register(api, code: str, **overrides) -> dict:
    reply = api.post(f"/competitions/{code}/contestants", json=person(**overrides))
    assert reply.status_code == 201, reply.text
    return reply.json()
