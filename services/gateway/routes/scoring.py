"""HTTP routes served by the scoring service."""
from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

from services.gateway.http import Call, Route, download_response, json_response, route
from shared.errors import ServiceError
from shared.files import encode_file

SCHEMAS = Path(__file__).resolve().parents[2] / "scoring" / "schemas"
ROUTES: list[Route] = []
api = partial(route, into=ROUTES, tag="scoring")
COMPETITION = "/competitions/<code>"
STAFF = ("organiser", "judge", "chief_expert", "committee")
MARKERS = ("judge", "chief_expert")
OVERSEERS = ("organiser", "chief_expert")
MARKING = ("organiser", "judge", "chief_expert")
OWNERS = "the competition's organisers"
TEAM = "the competition's organisers and the experts assigned to it"
CHIEF = "the competition's chief expert"
XLSX_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream")


def _plain(value):
    """JSON as the gateway parsed it (decimals as Decimal) with decimals as text, which RPC can carry."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _body(call: Call):
    """The JSON body with decimals kept as their text ("0.50")."""
    return call.json(parse_float=str)


@api("PUT", COMPETITION + "/marking-scheme", ("organiser",),
     "Upload or replace the marking scheme (JSON, or the CIS 'Marking Scheme Import' .xlsx); frozen once marking opens",
     body="file", scope=OWNERS, query=("filename",))
def put_marking_scheme(call: Call):
    content, content_type = call.file()
    code = call.params["code"]
    if content_type == "application/json" or content_type.endswith("+json"):
        return json_response(call.worker.scoring.put_marking_scheme(call.actor, code, _plain(call.json())))
    if content_type in XLSX_TYPES or call.query.get("filename", "").lower().endswith(".xlsx"):
        return json_response(call.worker.scoring.import_marking_scheme(call.actor, code,
                                                                       encode_file(content)))
    raise ServiceError("UNSUPPORTED_MEDIA_TYPE", f"send the scheme as application/json or as an .xlsx workbook "
                                                 f"({XLSX_TYPES[0]}), not {content_type or 'no content type'}")


@api("GET", COMPETITION + "/marking-scheme", MARKING, "The marking scheme with its WSOS variation table", scope=TEAM,
     query=("format",))
def get_marking_scheme(call: Call):
    fmt = call.query.get("format", "json").lower()
    if fmt == "json":
        return json_response(call.worker.scoring.get_marking_scheme(call.actor, call.params["code"]))
    return download_response(call.worker.scoring.export_marking_scheme(call.actor, call.params["code"], fmt))


@api("GET", COMPETITION + "/marking-forms/<sub_id>", MARKING,
     "Printable marking form of a sub-criterion (?format=xlsx|pdf): contestant numbers down, aspects across",
     query=("format",), scope=TEAM)
def marking_form(call: Call):
    fmt = call.query.get("format", "xlsx").lower()
    return download_response(call.worker.scoring.marking_form(call.actor, call.params["code"], call.params["sub_id"], fmt))


@api("POST", COMPETITION + "/marking/open", OVERSEERS,
     "Open marking: freeze the scheme and take the roster (registration must be closed)", body="none",
     scope="the competition's organisers and its chief expert")
def open_marking(call: Call):
    return json_response(call.worker.scoring.open_marking(call.actor, call.params["code"]))


@api("POST", COMPETITION + "/marks", MARKERS, "Submit marks and judgement scores (all or nothing; request_id required)",
     request_schema=str(SCHEMAS / "marks_submit.json"), admin=False,
     scope="judges and chief experts assigned to the competition, never for a contestant they have a conflict with")
def record_marks(call: Call):
    return json_response(call.worker.scoring.record_marks(call.actor, call.params["code"], _body(call)))


@api("GET", COMPETITION + "/marks", MARKING, "Marks (a judge sees only their own until the sub-criterion is locked)",
     query=("contestant", "aspect", "sub_criterion", "judge"), scope=TEAM)
def list_marks(call: Call):
    return json_response(call.worker.scoring.list_marks(call.actor, call.params["code"], call.query))


@api("GET", COMPETITION + "/disputes", MARKING, "Judgement aspects whose judges' scores differ by more than the limit (a judge sees their own score only)",
     scope=TEAM)
def list_disputes(call: Call):
    return json_response(call.worker.scoring.list_disputes(call.actor, call.params["code"]))


@api("POST", COMPETITION + "/disputes/resolve", ("chief_expert",),
     "Resolve a judgement dispute: record the scores the judges agreed on (audited as set by the chief expert, "
     "with the reason); refused unless the aspect is in dispute and the scores end it; request_id makes it idempotent",
     request_schema=str(SCHEMAS / "dispute_resolve.json"), scope=CHIEF)
def resolve_dispute(call: Call):
    return json_response(call.worker.scoring.resolve_dispute(call.actor, call.params["code"], _plain(call.json())))


@api("GET", COMPETITION + "/progress", MARKING, "Marks expected, in, missing and disputed per sub-criterion", scope=TEAM)
def progress(call: Call):
    return json_response(call.worker.scoring.progress(call.actor, call.params["code"]))


@api("POST", COMPETITION + "/sub-criteria/<sub_id>/lock", ("chief_expert",),
     "Lock a sub-criterion (every mark in, no dispute)", body="none", scope=CHIEF)
def lock(call: Call):
    return json_response(call.worker.scoring.lock_sub_criterion(call.actor, call.params["code"], call.params["sub_id"]))


@api("POST", COMPETITION + "/sub-criteria/<sub_id>/unlock", ("chief_expert",),
     "Unlock a sub-criterion for a correction (reason required)", request_schema=str(SCHEMAS / "reason.json"),
     scope=CHIEF)
def unlock(call: Call):
    return json_response(call.worker.scoring.unlock_sub_criterion(call.actor, call.params["code"], call.params["sub_id"],
                                                                  _plain(call.json())))


@api("GET", COMPETITION + "/audit", OVERSEERS, "Audit trail of marks, locks and results",
     query=("contestant", "aspect", "sub_criterion", "judge", "by", "kind", "limit"),
     scope="the competition's organisers and its chief expert")
def audit(call: Call):
    return json_response(call.worker.scoring.audit(call.actor, call.params["code"], call.query))


@api("POST", COMPETITION + "/results/finalise", ("chief_expert",),
     "Finalise and publish the results (every sub-criterion locked); idempotent", body="none", scope=CHIEF)
def finalise(call: Call):
    return json_response(call.worker.scoring.finalise(call.actor, call.params["code"]))


@api("POST", COMPETITION + "/results/reopen", ("chief_expert",),
     "Reopen final results for a correction (reason required); finalising again publishes revision + 1",
     request_schema=str(SCHEMAS / "reason.json"), scope=CHIEF)
def reopen(call: Call):
    return json_response(call.worker.scoring.reopen_results(call.actor, call.params["code"], _plain(call.json())))


@api("GET", COMPETITION + "/results", STAFF, "Results table (?format=csv|xlsx to download)", query=("format",),
     scope="the competition's organisers, its assigned experts and the committee; provisional results: "
           "its organisers and chief expert")
def results(call: Call):
    fmt = call.query.get("format", "json").lower()
    if fmt == "json":
        return json_response(call.worker.scoring.get_results(call.actor, call.params["code"]))
    return download_response(call.worker.scoring.export_results(call.actor, call.params["code"], fmt))


@api("GET", "/events/<event>/top-score", STAFF, "Top-score award of an event over its finalised competitions")
def top_score(call: Call):
    return json_response(call.worker.scoring.event_top_score(call.actor, call.params["event"]))
