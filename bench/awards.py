"""Awards benchmark: ``python -m bench.awards [people] [achievements_per_person]``.

Loads 100,000 people with 5 achievements each (500,000 achievement records) straight into storage
(bulk inserts, not timed), opens a 上海工匠 round with 20,000 nominees, then times the service
functions the brief names:

- a ranked page of 100 (several pages, the slowest reported)          target < 0.2 s
- one ``results_published`` with 1,400 contestants                    target < 5 s
- re-ranking the round after a weight change (new policy version)     target < 60 s

The database is reached over the wire: MongoDB at ``MONGODB_URI`` when set, else the local server
(SQLite engine) on a throw-away folder, which is far slower than MongoDB for a load this size.
"""
from __future__ import annotations

import json
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime

from bench import database_uri

TIERS = ("worldskills", "national_class_1", "national_class_2", "municipal_class_1", "municipal_class_2", "enterprise")
INDUSTRIES = ("装备制造", "电子信息", "汽车", "生物医药", "建筑", "交通运输")
DISTRICTS = ("浦东新区", "黄浦区", "徐汇区", "静安区", "闵行区", "嘉定区", "宝山区")
SKILLS = ("焊工", "数控车工", "电工", "钳工", "汽车维修", "网络安全", "烹饪", "美发")


def person_key(i: int) -> str:
    return f"{i:064x}"


def clock(label: str, seconds: float, target: float | None = None) -> None:
    verdict = "" if target is None else ("  OK" if seconds < target else f"  OVER the {target} s target")
    print(f"{label:<62} {seconds:8.3f} s{verdict}", flush=True)


def load(repo, people: int, per_person: int, rng: random.Random) -> None:
    from services.awards.domain.people import new_person, pack

    now = datetime.now(UTC)
    competitions = [{"code": f"B{c:05d}", "name": f"比赛{c}", "tier": rng.choice(TIERS),
                     "skill": {"code": str(c % len(SKILLS)), "name": SKILLS[c % len(SKILLS)]},
                     "level": None, "year": 2014 + c % 10, "team": False} for c in range(2000)]
    person_docs, achievement_docs = [], []
    t0 = time.perf_counter()
    for i in range(people):
        key = person_key(i)
        person = new_person(key, now)
        person |= {"name": f"候选人{i}", "masked_id": f"310101********{i % 1000:03d}X",
                   "employer": f"企业{i % 500}", "industry": rng.choice(INDUSTRIES), "district": rng.choice(DISTRICTS),
                   "union_member": rng.random() < 0.8, "front_line": rng.random() < 0.85,
                   "current_level": rng.randint(1, 5), "years_of_service": rng.randint(0, 35),
                   "patents": rng.randint(0, 8), "apprentices": rng.randint(0, 25),
                   "titles": [{"code": "shanghai_technical_expert", "name_zh": "上海市技术能手", "year": 2018}]
                   if rng.random() < 0.1 else [],
                   "innovation_awards": [{"name": "职工创新成果奖", "year": 2020, "level": "municipal"}]
                   if rng.random() < 0.2 else []}
        source = {"kind": "import", "by": "bench", "at": now, "batch": "bench"}
        person["sources"] = {f: source for f in ("name", "employer", "industry", "district")}
        for comp in rng.sample(competitions, per_person):
            rank = rng.randint(1, 60)
            ident = f"{comp['code']}:{key}"
            person["results"].append({"competition_code": comp["code"], "competition_name": comp["name"],
                                      "tier": comp["tier"], "skill": comp["skill"]["name"], "level": None,
                                      "year": comp["year"], "rank": rank, "medal": None, "medallion": False,
                                      "scale": 700 - rank})
            person["achievement_ids"].append(ident)
            achievement_docs.append({"_id": ident, "person_key": key, "competition": comp, "revision": 1,
                                     "event_id": "bench", "status": "current", "recorded_at": now,
                                     "result": {"rank": rank, "scale": 700 - rank}, "honours": {}, "superseded": []})
        person_docs.append(pack(person))
    for start in range(0, len(person_docs), 10000):
        repo.people.insert_many(person_docs[start:start + 10000])
    for start in range(0, len(achievement_docs), 50000):
        repo.achievements.insert_many(achievement_docs[start:start + 50000])
    print(f"loaded {people:,} people and {len(achievement_docs):,} achievements in {time.perf_counter() - t0:.1f} s "
          "(bulk inserts, not part of any figure)", flush=True)


def results_event(rng: random.Random, people: int, contestants: int) -> dict:
    from shared.events import new_event

    keys = rng.sample(range(people), contestants - 100) + list(range(people, people + 100))  # 100 new people
    rows = [{"contestant_id": uuid.uuid4().hex, "person_key": person_key(k), "masked_id": "310101********123X",
             "name": f"选手{k}", "employer": f"企业{k % 500}", "delegation": {"kind": "district", "name": "浦东新区"},
             "employment": "employee", "current_level": rng.randint(2, 5), "team": None, "raw": "80.00",
             "scale": 700 - rank, "rank": rank, "medal": None, "medallion": False}
            for rank, k in enumerate(keys, start=1)]
    return new_event("results_published", {
        "competition": {"code": "BENCH-NATIONAL", "name": "全国职业技能大赛 焊工", "tier": "national_class_1",
                        "skill": {"code": "10", "name": "焊工"}, "level": None, "year": 2024, "team": False},
        "revision": 1, "results": rows})


def ranked_pages(service, committee: dict, rid: str, ranked: dict) -> None:
    timings = []
    pages = [1, 2, 50, ranked["ranking"]["nominees_count"] // 100]
    for page in pages:
        t0 = time.perf_counter()
        listing = service.list_nominees(committee, rid, {"page": page, "per_page": 100})
        timings.append(time.perf_counter() - t0)
        assert len(listing["items"]) == 100 and listing["items"][0]["lines"], listing["items"][:1]
    clock(f"ranked page of 100 nominees (pages {pages}; slowest)", max(timings), 0.2)
    clock("ranked page of 100 nominees (median)", statistics.median(timings))
    t0 = time.perf_counter()
    suggested = service.suggestions(committee, rid, {})
    clock(f"suggestions inside the quota ({len(suggested['items'])} not nominated)", time.perf_counter() - t0)
    t0 = time.perf_counter()
    service.list_nominees(committee, rid, {"page": 1, "per_page": 100, "district": "浦东新区"})
    clock("filtered page of 100 (district; walks the whole list)", time.perf_counter() - t0)


def weight_change(service, repo, committee: dict, rid: str) -> None:
    from services.awards.projections.ranking import rank_round

    """A new policy version with other nominee weights, pinned to the round: re-ranked."""
    document = json.loads(json.dumps(service.get_policy(committee)["document"]))
    weights = document["programmes"]["shanghai_craftsman"]["weights"]
    weights["patents"]["per_unit"] = 5
    weights["apprentices"]["per_unit"] = 2
    version = service.put_policy(committee, document)["version"]
    service.set_round_policy(committee, rid, {"policy_version": version, "why": "bench: weights changed"})
    t0 = time.perf_counter()
    rank_round(repo, repo.round(rid))
    clock(f"re-rank the round after a weight change (policy v{version})", time.perf_counter() - t0, 60)
    t0 = time.perf_counter()
    service.list_nominees(committee, rid, {"page": 3, "per_page": 100})
    clock("ranked page of 100 after the re-rank", time.perf_counter() - t0, 0.2)


def main(people: int = 100_000, per_person: int = 5) -> int:
    from nameko.testing.services import worker_factory

    from services.awards import service as service_module
    from services.awards.adapters.documents import ALIAS
    from services.awards.adapters.repository import AwardsRepository
    from services.awards.projections.ranking import rank_round
    from shared.db import connect_database

    rng = random.Random(20240601)
    committee = {"username": "bench-committee", "role": "committee"}
    with database_uri() as uri:
        db = connect_database(ALIAS, {"MONGODB_URI": uri, "MONGODB_DB_PREFIX": f"bench_{uuid.uuid4().hex[:6]}_"})
        repo = AwardsRepository(db)
        service = worker_factory(service_module.AwardsService, repo=repo)
        repo.ensure_indexes()
        repo.current_version()
        load(repo, people, per_person, rng)

        # a round of the 上海工匠 programme with 20,000 nominees (inserted in bulk), ranked once
        rnd = service.open_round(committee, {"programme": "shanghai_craftsman", "year": 2024})
        rid = rnd["round_id"]
        now = datetime.now(UTC)
        nominated = rng.sample(range(people), min(20_000, people))
        repo.nominations.insert_many([
            {"_id": f"{rid}:{person_key(i)}", "round_id": rid, "person_key": person_key(i),
             "programme": "shanghai_craftsman", "year": 2024, "channel": rng.choice(("employer", "association", "self")),
             "status": "eligible", "history": [{"action": "nominate", "by": "bench", "at": now}]} for i in nominated])
        t0 = time.perf_counter()
        ranked = rank_round(repo, repo.round(rid))
        clock(f"rank a new round: score {people:,} people, {ranked['ranking']['nominees_count']:,} nominees ranked",
              time.perf_counter() - t0, 60)

        ranked_pages(service, committee, rid, ranked)

        event = results_event(rng, people, 1400)
        t0 = time.perf_counter()
        outcome = service.record_results(event)
        clock(f"results_published, {outcome['recorded']:,} contestants, 1 open round (records, honours, re-score)",
              time.perf_counter() - t0, 5)
        granted = [c for c in service.dispatch.call_args_list if c.args[0] == "honour_granted"]
        print(f"  honour_granted dispatched: {len(granted)}", flush=True)

        # three more open rounds (one per programme) and a second competition: the cost grows per open round
        for programme in ("chief_technician", "master_studio", "outstanding_technical_expert"):
            other = service.open_round(committee, {"programme": programme, "year": 2024})
            rank_round(repo, repo.round(other["round_id"]))
        event2 = results_event(rng, people, 1400)
        event2["competition"] = {**event2["competition"], "code": "BENCH-NATIONAL-2"}
        t0 = time.perf_counter()
        service.record_results(event2)
        clock("results_published, 1,400 contestants, 4 open rounds", time.perf_counter() - t0, 5)

        weight_change(service, repo, committee, rid)
    return 0


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:3]]
    sys.exit(main(*args))
