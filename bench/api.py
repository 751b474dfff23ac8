"""Competitions built through the HTTP API for the benchmarks: accounts, a competition with its
contestants, judges and marking scheme, and the marks a judge sends."""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from bench.deployed import ADMIN
from bench.load import Client
from tests.e2e.helpers import competition_payload
from tests.e2e.scoring_fixtures import DESCRIPTORS
from tests.unit.registration.idgen import make_resident_id

_people = itertools.count()


def sign_in(base: str, username: str, password: str) -> Client:
    token = Client(base).call("POST", "/auth/tokens", {"username": username, "password": password})["token"]
    return Client(base, token)


def admin(base: str) -> Client:
    return sign_in(base, ADMIN["username"], ADMIN["password"])


def new_login(root: Client, role: str) -> tuple[str, str]:
    """A new account of ``role``: its username and password."""
    name, password = f"{role}-{uuid.uuid4().hex[:8]}", f"Pw-{uuid.uuid4().hex}"
    root.call("POST", "/users", {"username": name, "password": password, "role": role, "name": name})
    return name, password


def new_user(root: Client, base: str, role: str) -> tuple[str, Client]:
    name, password = new_login(root, role)
    return name, sign_in(base, name, password)


def contestant_payload() -> dict:
    """A contestant with a resident ID number no other contestant of this run has."""
    n = next(_people)
    birth = date(1980, 1, 1) + timedelta(days=n // 800)
    return {"name": f"选手{n}", "gender": "male", "date_of_birth": birth.isoformat(),
            "id_number": make_resident_id(birth=birth, seq=f"{100 + n % 800:03d}"),
            "employer": f"单位{n}", "delegation": {"kind": "district", "name": "浦东新区"},
            "skill_level": 3, "employment": "employee", "team": None}


def scheme(sub_criteria: list[int], judgement_every: int = 3) -> dict:
    """Sub-criteria of the given numbers of aspects; every ``judgement_every``-th aspect a judgement
    aspect (0: measurement only, 1: judgement only). Aspects weigh what makes 100.00 in all."""
    count = sum(sub_criteria)
    cents = 10000
    subs, position = [], 0
    for s, size in enumerate(sub_criteria):
        aspects = []
        for _ in range(size):
            judgement = judgement_every > 0 and position % judgement_every == judgement_every - 1
            share = cents // count + (1 if position < cents % count else 0)
            mark = str(Decimal(share) / 100)
            aspects.append({"type": "J" if judgement else "M", "description": f"aspect {s}.{position}",
                            "wsos_section": 1, "max_mark": mark,
                            **({"descriptors": DESCRIPTORS} if judgement else {"step": mark})})
            position += 1
        subs.append({"id": f"A{s + 1}", "name": f"Module {s + 1}", "aspects": aspects})
    return {"wsos_sections": [{"number": 1, "name": "All", "marks": 100}],
            "criteria": [{"letter": "A", "name": "Everything", "mark": 100}], "sub_criteria": subs}


@dataclass
class Aspect:
    id: str
    judgement: bool
    sub: str
    max_mark: str


@dataclass
class Competition:
    code: str
    organiser: Client
    chief: Client
    judges: list[Client]
    contestants: list[str]
    aspects: list[Aspect]
    subs: list[str] = field(default_factory=list)

    def aspects_of(self, sub: str) -> list[Aspect]:
        return [a for a in self.aspects if a.sub == sub]


def mark(contestant: str, aspect: Aspect, round_: int) -> dict:
    """A mark that differs from the one of the round before (so every round really writes)."""
    if aspect.judgement:
        return {"contestant_id": contestant, "aspect": aspect.id, "score": 2 + round_ % 2}
    return {"contestant_id": contestant, "aspect": aspect.id, "value": aspect.max_mark if round_ % 2 else "0"}


def marks_request(marks: list[dict]) -> dict:
    return {"request_id": uuid.uuid4().hex, "marks": marks}


def build_competition(base: str, root: Client, organiser: Client, contestants: int, sub_criteria: list[int],
                      judges: int, judgement_every: int = 3) -> Competition:
    """A competition in marking: contestants registered, judges and a chief expert assigned, the scheme set."""
    code = organiser.call("POST", "/competitions", competition_payload(capacity=contestants + 5))["code"]
    organiser.call("POST", f"/competitions/{code}/open")
    ids = [organiser.call("POST", f"/competitions/{code}/contestants", contestant_payload())["contestant_id"]
           for _ in range(contestants)]
    team = [new_user(root, base, "judge") for _ in range(judges)] + [new_user(root, base, "chief_expert")]
    for n, (name, _) in enumerate(team):
        organiser.call("POST", f"/competitions/{code}/judges", {
            "username": name, "name": name, "employer": "评委单位", "role": "chief_expert" if n == judges else "judge"})
    organiser.call("POST", f"/competitions/{code}/close")
    stored = organiser.call("PUT", f"/competitions/{code}/marking-scheme", scheme(sub_criteria, judgement_every))
    organiser.call("POST", f"/competitions/{code}/marking/open")
    aspects = [Aspect(a["id"], a["type"] == "J", s["id"], a["max_mark"])
               for s in stored["scheme"]["sub_criteria"] for a in s["aspects"]]
    return Competition(code, organiser, team[-1][1], [c for _, c in team[:-1]], ids, aspects,
                       [s["id"] for s in stored["scheme"]["sub_criteria"]])
