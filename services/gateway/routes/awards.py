"""HTTP routes served by the awards service."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from services.gateway.http import Call, Route, download_response, json_response, route
from shared.errors import ServiceError
from shared.files import encode_file

SCHEMAS = Path(__file__).resolve().parents[2] / "awards" / "schemas"
ROUTES: list[Route] = []
api = partial(route, into=ROUTES, tag="awards")
COMMITTEE = ("committee",)
PROFILE_WRITERS = ("organiser", "committee")
EVERYONE = ("organiser", "judge", "chief_expert", "committee")
ROUND = "/nominee-rounds/<round_id>"


def _plain_json(call: Call):
    """The body as JSON with ordinary numbers (policy weights are numbers, not decimal strings)."""
    return call.json(parse_float=float)


@api("GET", "/honours-policy", EVERYONE, "The current honours policy, or ?version=N", query=("version",))
def get_policy(call: Call):
    return json_response(call.worker.awards.get_policy(call.actor, call.query.get("version")))


@api("PUT", "/honours-policy", COMMITTEE, "Store a new policy version (validated by its JSON Schema)")
def put_policy(call: Call):
    return json_response(call.worker.awards.put_policy(call.actor, _plain_json(call)))


@api("POST", "/people", PROFILE_WRITERS, "Create (201) or update (200) a candidate profile",
     request_schema=str(SCHEMAS / "person_upsert.json"), success=(200, 201))
def save_person(call: Call):
    answer = call.worker.awards.save_person(call.actor, call.json())
    return json_response(answer, 201 if answer.get("created") else 200)


@api("POST", "/people/import", PROFILE_WRITERS,
     "Import profiles from CSV or XLSX (Chinese or English headers; all rows or none)", body="file", success=201,
     query=("filename",))
def import_people(call: Call):
    content, content_type = call.file()
    hint = call.query.get("filename") or content_type
    answer = call.worker.awards.import_people(call.actor, encode_file(content), hint)
    return json_response(answer, 201)


@api("GET", "/people", COMMITTEE,
     "Find people on record by name (from its start), employer (any part), district or skill, or q (any of "
     "these or the person key); paged, with the masked ID", query=("q", "name", "employer", "district", "skill",
                                                                   "page", "per_page"))
def search_people(call: Call):
    return json_response(call.worker.awards.search_people(call.actor, call.query))


@api("GET", "/people/<person_key>/record", ("organiser", "committee"),
     "Everything known about a person and where it came from")
def person_record(call: Call):
    return json_response(call.worker.awards.person_record(call.actor, call.params["person_key"]))


@api("POST", "/nominee-rounds", COMMITTEE, "Open a nominee round", request_schema=str(SCHEMAS / "round_open.json"),
     success=201)
def open_round(call: Call):
    return json_response(call.worker.awards.open_round(call.actor, call.json()), 201)


@api("GET", "/nominee-rounds", COMMITTEE, "List nominee rounds")
def list_rounds(call: Call):
    return json_response(call.worker.awards.list_rounds(call.actor))


@api("GET", ROUND, COMMITTEE, "A nominee round with its cut line")
def get_round(call: Call):
    return json_response(call.worker.awards.get_round(call.actor, call.params["round_id"]))


@api("PUT", ROUND + "/policy-version", COMMITTEE, "Pin the round to another policy version (re-ranks it)",
     request_schema=str(SCHEMAS / "round_policy.json"))
def set_round_policy(call: Call):
    return json_response(call.worker.awards.set_round_policy(call.actor, call.params["round_id"], call.json()))


@api("POST", ROUND + "/nominations", PROFILE_WRITERS, "Nominate a person (employer, association or self)",
     request_schema=str(SCHEMAS / "nomination.json"), success=201)
def nominate(call: Call):
    return json_response(call.worker.awards.nominate(call.actor, call.params["round_id"], call.json()), 201)


@api("GET", ROUND + "/nominees", COMMITTEE, "The ranked nominee list with the cut line (?format=csv|xlsx to export)",
     query=("page", "per_page", "industry", "district", "skill", "format"))
def list_nominees(call: Call):
    fmt = call.query.get("format")
    if fmt:
        if fmt not in ("csv", "xlsx", "json"):
            raise ServiceError("VALIDATION_FAILED", "format is csv, xlsx or json",
                               [{"path": "/format", "problem": f"'{fmt}' is not csv, xlsx or json"}])
        if fmt != "json":
            return download_response(call.worker.awards.export_nominees(call.actor, call.params["round_id"], fmt))
    return json_response(call.worker.awards.list_nominees(call.actor, call.params["round_id"], call.query))


@api("GET", ROUND + "/suggestions", COMMITTEE, "People not nominated whose record ranks them inside the quota")
def suggestions(call: Call):
    return json_response(call.worker.awards.suggestions(call.actor, call.params["round_id"], call.query))


@api("POST", ROUND + "/nominees/<person_key>/decision", COMMITTEE, "A committee step for one nominee",
     request_schema=str(SCHEMAS / "decision.json"))
def decide(call: Call):
    return json_response(call.worker.awards.decide(call.actor, call.params["round_id"], call.params["person_key"],
                                                   call.json()))
