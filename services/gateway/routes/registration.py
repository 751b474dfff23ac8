"""HTTP routes served by the registration service."""
from __future__ import annotations

from functools import partial
from pathlib import Path

from services.gateway import auth
from services.gateway.http import Call, Route, json_response, route
from shared.errors import ServiceError
from shared.files import encode_file

SCHEMAS = Path(__file__).resolve().parents[2] / "registration" / "schemas"
ROUTES: list[Route] = []
api = partial(route, into=ROUTES, tag="registration")
ORGANISER = ("organiser",)
STAFF = ("organiser", "judge", "chief_expert", "committee")
COMPETITION_TEAM = ("organiser", "judge", "chief_expert")
OWNERS = "the competition's organisers"
TEAM = "the competition's organisers and the experts assigned to it"
ASSIGNED = "judges and chief experts: competitions they are assigned to"
COMPETITION = "/competitions/<code>"


@api("POST", "/competitions", ORGANISER, "Create a competition (draft)",
     request_schema=str(SCHEMAS / "competition_create.json"), success=201)
def create_competition(call: Call):
    return json_response(call.worker.registration.create_competition(call.actor, call.json()), 201)


@api("GET", "/competitions", STAFF, "List competitions", query=("status", "tier", "event"), scope=ASSIGNED)
def list_competitions(call: Call):
    return json_response(call.worker.registration.list_competitions(call.actor, call.query))


@api("GET", COMPETITION, STAFF, "Read a competition with its places taken", scope=ASSIGNED)
def get_competition(call: Call):
    return json_response(call.worker.registration.get_competition(call.actor, call.params["code"]))


@api("PATCH", COMPETITION, ORGANISER, "Change a competition (frozen fields stay frozen once open)",
     request_schema=str(SCHEMAS / "competition_update.json"), scope=OWNERS)
def update_competition(call: Call):
    return json_response(call.worker.registration.update_competition(call.actor, call.params["code"], call.json()))


@api("POST", COMPETITION + "/open", ORGANISER, "Open registration", body="none", scope=OWNERS)
def open_competition(call: Call):
    return json_response(call.worker.registration.change_status(call.actor, call.params["code"], "open"))


@api("POST", COMPETITION + "/close", ORGANISER, "Close registration", body="none", scope=OWNERS)
def close_competition(call: Call):
    return json_response(call.worker.registration.change_status(call.actor, call.params["code"], "closed"))


@api("POST", COMPETITION + "/contestants", ORGANISER, "Register one contestant",
     request_schema=str(SCHEMAS / "contestant_register.json"), success=201, scope=OWNERS)
def register_contestant(call: Call):
    return json_response(call.worker.registration.register_contestant(call.actor, call.params["code"], call.json()), 201)


@api("POST", COMPETITION + "/contestants/import", ORGANISER,
     "Register contestants from a CSV or XLSX roster (all or nothing)", body="file", success=201, scope=OWNERS,
     query=("filename",))
def import_contestants(call: Call):
    content, content_type = call.file()
    hint = call.query.get("filename") or content_type
    answer = call.worker.registration.import_contestants(call.actor, call.params["code"],
                                                         encode_file(content), hint)
    return json_response(answer, 201)


@api("GET", COMPETITION + "/organisers", ORGANISER, "The competition's organisers", scope=OWNERS)
def list_organisers(call: Call):
    return json_response(call.worker.registration.list_organisers(call.actor, call.params["code"]))


@api("POST", COMPETITION + "/organisers", ORGANISER, "Add a co-organiser (admins and the competition's organisers)",
     request_schema=str(SCHEMAS / "organiser_add.json"), success=201, scope=OWNERS)
def add_organiser(call: Call):
    """Ownership first (registration refuses others), then the account: nobody else learns who has one."""
    payload = call.json()
    call.worker.registration.list_organisers(call.actor, call.params["code"])
    username = payload.get("username") if isinstance(payload, dict) else None
    if isinstance(username, str):
        account = auth.User.objects(username=username).first()
        if account is None or account.role != "organiser" or not account.active:
            raise ServiceError("VALIDATION_FAILED", f"'{username}' is not an active organiser account",
                               [{"path": "/username", "problem": "not an active organiser account"}])
    return json_response(call.worker.registration.add_organiser(call.actor, call.params["code"], payload), 201)


@api("GET", COMPETITION + "/contestants", STAFF,
     "List contestants: organisers of the competition see the full record (masked ID, birth date), "
     "its judges a number, name and delegation, the committee name, employer and masked ID",
     query=("include_withdrawn",), scope="the competition's organisers, its assigned experts and the committee")
def list_contestants(call: Call):
    withdrawn = call.query.get("include_withdrawn", "").lower() in ("1", "true", "yes")
    return json_response(call.worker.registration.list_contestants(call.actor, call.params["code"], withdrawn))


@api("DELETE", COMPETITION + "/contestants/<contestant_id>", ORGANISER,
     "Withdraw a contestant (kept in history)", query=("reason",), scope=OWNERS)
def withdraw_contestant(call: Call):
    return json_response(call.worker.registration.withdraw_contestant(
        call.actor, call.params["code"], call.params["contestant_id"], call.query.get("reason")))


@api("POST", COMPETITION + "/judges", ORGANISER, "Register an expert and assign them as judge or chief expert",
     request_schema=str(SCHEMAS / "judge_assign.json"), success=201, scope=OWNERS)
def assign_judge(call: Call):
    return json_response(call.worker.registration.assign_judge(call.actor, call.params["code"], call.json()), 201)


@api("GET", COMPETITION + "/judges", COMPETITION_TEAM, "List the competition's judges", scope=TEAM)
def list_judges(call: Call):
    return json_response(call.worker.registration.list_judges(call.actor, call.params["code"]))


@api("GET", COMPETITION + "/conflicts", COMPETITION_TEAM, "Conflicts of interest between judges and contestants", scope=TEAM)
def list_conflicts(call: Call):
    return json_response(call.worker.registration.list_conflicts(call.actor, call.params["code"]))


@api("POST", COMPETITION + "/conflicts", COMPETITION_TEAM, "Declare a conflict of interest",
     request_schema=str(SCHEMAS / "conflict_declare.json"), success=201,
     scope=TEAM + " (a judge declares for themselves)")
def declare_conflict(call: Call):
    return json_response(call.worker.registration.declare_conflict(call.actor, call.params["code"], call.json()), 201)
