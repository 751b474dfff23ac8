"""Builders shared by the scoring tests (service level and end to end): a small valid marking
scheme, registration's roster snapshot, and whole marked competitions over HTTP."""
from __future__ import annotations

import hashlib
import uuid
from decimal import Decimal

from tests.e2e.helpers import open_competition, register

DESCRIPTORS = {"0": "Below industry standard", "1": "Meets industry standard",
               "2": "Meets and in specific respects exceeds", "3": "Excellent"}


def small_scheme() -> dict:
    """A1: three measurement aspects (A1.1 has step 0.5), B1: two judgement aspects; 100.00 in all.

    WSOS section 1 carries 40 marks in the standard but only 30 in aspects: a variation warning.
    """
    return {
        "wsos_sections": [{"number": 1, "name": "Work organisation", "marks": 40},
                          {"number": 2, "name": "Quality", "marks": 60}],
        "criteria": [{"letter": "A", "name": "Measurement", "mark": "60.00"},
                     {"letter": "B", "name": "Judgement", "mark": 40}],
        "sub_criteria": [
            {"id": "A1", "name": "Dimensions", "day": 1, "aspects": [
                {"type": "M", "description": "Length", "wsos_section": 1, "max_mark": "10", "step": "0.5"},
                {"type": "M", "description": "Width", "wsos_section": 1, "max_mark": "20"},
                {"type": "M", "description": "Square", "wsos_section": 2, "max_mark": "30"}]},
            {"id": "B1", "name": "Finish", "day": 2, "aspects": [
                {"type": "J", "description": "Surface", "wsos_section": 2, "max_mark": "20", "descriptors": DESCRIPTORS},
                {"type": "J", "description": "Overall", "wsos_section": 2, "max_mark": "20", "descriptors": DESCRIPTORS}]},
        ],
    }


def big_scheme(subs: int = 10, per_sub: int = 30) -> dict:
    """``subs × per_sub`` aspects, every third a judgement aspect (max 0.50 × (100/subs/per_sub × 3/2)).

    With the default 300 aspects: 200 measurement aspects of 0.25 (step 0.25) and 100 judgement
    aspects of 0.50, 100.00 in all.
    """
    count = subs * per_sub
    unit = Decimal(100) / (count + count // 3)  # M weigh one unit, J two
    assert unit == unit.quantize(Decimal("0.01")) and count % 3 == 0, "choose counts that divide 100 in cents"
    subs_json = []
    for s in range(subs):
        items = []
        for a in range(per_sub):
            judgement = (s * per_sub + a) % 3 == 2
            mark = str(unit * 2 if judgement else unit)
            items.append({"type": "J" if judgement else "M", "description": f"aspect {s}.{a}", "wsos_section": 1,
                          "max_mark": mark, **({"descriptors": DESCRIPTORS} if judgement else {"step": str(unit)})})
        subs_json.append({"id": f"A{s + 1}", "name": f"Module {s + 1}", "aspects": items})
    return {"wsos_sections": [{"number": 1, "name": "All", "marks": 100}],
            "criteria": [{"letter": "A", "name": "Everything", "mark": 100}], "sub_criteria": subs_json}


def person_key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def contestant(code: str, i: int, employer: str | None = None, team: str | None = None,
               delegation: str | None = None) -> dict:
    return {"contestant_id": f"{code}-c{i:02d}", "person_key": person_key(f"{code}-{i}"),
            "masked_id": f"310101********{i:03d}X", "name": f"选手{i}", "gender": "male",
            "employer": employer or f"单位{i}", "delegation": {"kind": "district", "name": delegation or f"区{i % 3}"},
            "employment": "employee", "skill_level": 3, "team": team}


def snapshot(code: str, contestants: list[dict], judges=("judge-a", "judge-b", "judge-c"), chief="chief-x",
             conflicts=(), status="closed", team=False, event="EVENT-1", withdrawn=(), revision=3,
             organisers=("org",)) -> dict:
    """What ``registration.roster_snapshot`` answers."""
    competition = {"code": code, "name": f"竞赛 {code}", "tier": "municipal_class_1",
                   "skill": {"code": "10", "name": "焊工 Welding"}, "level": 3, "team": team,
                   "team_size": 2 if team else 1, "year": 2026, "start_date": "2026-05-01", "end_date": "2026-05-03",
                   "registration_deadline": "2026-04-01", "capacity": 50,
                   "conflict_relations": ["same_employer", "declared"], "status": status, "revision": revision,
                   "event": event, "venue": None, "organisers": list(organisers)}
    roster = [{"username": j, "name": j, "employer": "评委单位", "training_base": None, "delegation": None, "role": "judge"}
              for j in judges]
    if chief:
        roster.append({"username": chief, "name": chief, "employer": "评委单位", "training_base": None,
                       "delegation": None, "role": "chief_expert"})
    return {"competition": competition, "contestants": contestants, "withdrawn": list(withdrawn), "judges": roster,
            "conflicts": [{"judge": j, "contestant_id": c, "reasons": ["same_employer"]} for j, c in conflicts],
            "conflicts_revision": 1 if conflicts else 0}


def rid() -> str:
    return uuid.uuid4().hex


# --------------------------------------------------------------------------- over HTTP


def marked_competition(organiser_api, make_user, contestants: int = 4, judges: int = 3, team_size: int = 1,
                       event: str | None = None, scheme: dict | None = None, names: list[str] | None = None) -> dict:
    """A competition with registration closed, judges and a chief expert assigned, scheme uploaded, marking open.

    Every contestant works for a different employer; judges work elsewhere. Returns the code, the
    contestant ids (in registration order), the judges' and chief's Api objects.
    """
    extra = {"event": event} if event else {}
    competition = open_competition(organiser_api, team_size=team_size, **extra)
    code = competition["code"]
    people = []
    for i in range(contestants):
        team = {"team": f"T{i // team_size}"} if team_size > 1 else {}
        people.append(register(organiser_api, code, name=names[i] if names else f"选手{i}", employer=f"选手单位{i}-{code}",
                               delegation={"kind": "district", "name": f"区{i % 2}"}, **team))
    judge_apis = [make_user("judge") for _ in range(judges)]
    chief = make_user("chief_expert")
    for api, role in [*((j, "judge") for j in judge_apis), (chief, "chief_expert")]:
        reply = organiser_api.post(f"/competitions/{code}/judges",
                                   json={"username": api.username, "name": api.username, "employer": "评委单位",
                                         "role": role})
        assert reply.status_code == 201, reply.text
    assert organiser_api.post(f"/competitions/{code}/close").status_code == 200
    reply = organiser_api.put(f"/competitions/{code}/marking-scheme", json=scheme or small_scheme())
    assert reply.status_code == 200, reply.text
    reply = organiser_api.post(f"/competitions/{code}/marking/open")
    assert reply.status_code == 200, reply.text
    return {"code": code, "contestants": [p["contestant_id"] for p in people], "people": people,
            "judges": judge_apis, "chief": chief}
