"""The scoring service: marking schemes, marks, locks, disputes, the audit trail and results.

Entry points are thin: check the caller, validate, ask the domain (``domain/``) and the marks
views (``marksheet``), persist (``storage``), emit. The service keeps its own view of who may
mark whom: built from ``registration.roster_snapshot`` when marking opens and kept current by
registration's events (idempotent upserts; conflicts and competition snapshots keep only the
newest revision). Decisions are listed in ``services/scoring/README.md``.
"""
from __future__ import annotations

import logging
import uuid
from pathlib import Path

from nameko.dependency_providers import Config
from nameko.events import event_handler
from nameko.rpc import RpcProxy

from services.scoring import export, marking_forms, marksheet, storage
from services.scoring.cis_export import cis_workbook
from services.scoring.domain.cis_import import read_scheme_workbook, scheme_summary
from services.scoring.domain.disputes import resolution_problems
from services.scoring.domain.errors import MarkingRuleViolation, PolicyInvalid, SchemeInvalid
from services.scoring.domain.marking import is_disputed
from services.scoring.domain.numbers import format_mark
from services.scoring.domain.policy import resolve_policy
from services.scoring.domain.results import compute_results, top_score_award
from services.scoring.domain.scheme import load_scheme, scheme_to_json, wsos_variation, wsos_warnings
from services.scoring.marksheet import delegation_label, key, problem
from services.scoring.storage import AUDIT, COMPETITIONS, RESULTS, SHEETS, sheet_id
from shared.db import MongoDatabase, database_health
from shared.entrypoints import rpc
from shared.errors import ServiceError, not_found
from shared.events import handle_once, iso_utc, utc_now
from shared.exports import XLSX_MIMETYPE
from shared.files import decode_upload, download
from shared.idempotency import run_once
from shared.outbox import OutboxPublisher
from shared.roles import require_role
from shared.validation import validate

log = logging.getLogger(__name__)
SCHEMAS = Path(__file__).resolve().parent / "schemas"
ORGANISERS = ("organiser", "admin")
MARKERS = ("judge", "chief_expert")
STAFF = ("organiser", "admin", "judge", "chief_expert", "committee")
SEE_ALL = ("organiser", "admin", "chief_expert")
# Where a caller stands towards one competition (see ``_standing``).
OWNER, CHIEF, JUDGE, COMMITTEE, OUTSIDER = "owner", "chief", "judge", "committee", "outsider"
MARKING_TEAM = (OWNER, CHIEF, JUDGE)
IDENTIFIERS = ("person_key", "masked_id")  # results fields for the competition's owners and the committee only
# Which error code a refused batch carries when its problems differ: the most serious wins.
# A refused dispute resolution: not a dispute (/aspect), still one (/scores), a judge who did not score (/scores/x).
RESOLUTION_CODES = {0: "NOT_DISPUTED", 1: "STILL_DISPUTED", 2: "UNKNOWN_JUDGE"}
SEVERITY = {"CONFLICT_OF_INTEREST": ("FORBIDDEN", 3), "LOCKED": ("INVALID_STATE", 2)}


def refused(problems: list[dict], what: str) -> ServiceError:
    code, _ = max((SEVERITY.get(p.get("code"), ("VALIDATION_FAILED", 1)) for p in problems), key=lambda c: c[1])
    first = problems[0]["problem"]
    message = f"{what}: {first}" if len(problems) == 1 else f"{what}: {len(problems)} problems, nothing was recorded"
    return ServiceError(code, message, problems[:marksheet.MAX_DETAILS])


def scheme_refused(error: SchemeInvalid, what: str) -> ServiceError:
    details = error.details()
    first = details[0]["problem"] if details else "invalid"
    suffix = f"{first}" if len(details) == 1 else f"{len(details)} problems: {first} ..."
    return ServiceError("VALIDATION_FAILED", f"{what} refused, {suffix}", details)


class RequestPartition:
    """``run_once`` storage for marks requests: one small collection per competition and judge."""

    def __init__(self, database, code: str, username: str):
        self.collection = database[f"requests.marks.{code}.{username}"]

    def __getitem__(self, _name):
        return self.collection


class ScoringService(OutboxPublisher):
    name = "scoring"
    outbox_collections = (COMPETITIONS, SHEETS)

    config = Config()
    db = MongoDatabase(storage.ALIAS)
    registration = RpcProxy("registration")

    # ----------------------------------------------------------------- plumbing

    @rpc
    def health(self) -> dict:
        db = database_health(storage.ALIAS)
        return {"status": db["status"], "database": db}


    def _state(self, code: str, projection: dict | None = None) -> dict:
        doc = storage.state(self.db, code, projection)
        if doc is None:
            raise not_found("competition", code)
        return doc

    def _roster(self, code: str, doc: dict) -> storage.Roster:
        return storage.roster(self.db, code, doc["roster_version"], bool((doc.get("snapshot") or {}).get("team")))

    def _require_chief(self, actor: dict, roster: storage.Roster, also=("admin",)) -> None:
        if actor.get("role") in also:
            return
        if actor.get("role") != "chief_expert" or roster.judges.get(actor.get("username")) != "chief_expert":
            raise ServiceError("FORBIDDEN", "only the competition's chief expert may do this")

    def _standing(self, actor: dict, code: str, doc: dict) -> str:
        """Owner (admin or one of its organisers), its chief expert, one of its judges, committee or outsider."""
        role, user = actor.get("role"), actor.get("username")
        if role == "admin":
            return OWNER
        snap = doc.get("snapshot") or {}
        if role == "organiser":
            if user in (snap.get("organisers") or []):
                return OWNER
            # our copy may lag behind a co-organiser just added (or predate organisers): registration knows
            return OWNER if user in self.registration.organisers_of(code) else OUTSIDER
        if role in MARKERS:
            assigned = self._roster(code, doc).judges.get(user)
            if assigned is None:
                return OUTSIDER
            return CHIEF if role == assigned == "chief_expert" else JUDGE
        return COMMITTEE if role == "committee" else OUTSIDER

    def _access(self, actor: dict, code: str, doc: dict, allowed: tuple[str, ...]) -> str:
        """Where ``actor`` stands towards ``code``, if that may do this; FORBIDDEN otherwise."""
        where = self._standing(actor, code, doc)
        if where not in allowed:
            raise ServiceError("FORBIDDEN", f"{actor.get('username')} may not do this in competition {code}: "
                                            "it is for its organisers" + (" and its assigned experts"
                                                                          if JUDGE in allowed or CHIEF in allowed else ""))
        return where

    @staticmethod
    def _results_view(answer: dict, where: str) -> dict:
        """Results without the person key and masked ID for anyone but the owners and the committee."""
        if where in (OWNER, COMMITTEE):
            return answer
        return {**answer, "results": [{k: v for k, v in row.items() if k not in IDENTIFIERS}
                                      for row in answer["results"]]}

    def _audit(self, code: str, actor: dict, kind: str, **fields) -> None:
        self.db[AUDIT].insert_one({"_id": uuid.uuid4().hex, "code": code, "at": utc_now(), "by": actor["username"],
                                   "role": actor.get("role"), "kind": kind, **fields})

    def _sync_roster(self, code: str) -> dict:
        """Registration's view of the competition now, merged into ours (newest revision wins)."""
        snap = self.registration.roster_snapshot(code)
        storage.apply_snapshot(self.db, code, snap["competition"], at_least=True)
        withdrawn = set(snap.get("withdrawn") or [])
        for person in snap.get("contestants") or []:
            storage.upsert_contestant(self.db, code, person, withdrawn=person["contestant_id"] in withdrawn)
        for cid in withdrawn:
            if not self.db[storage.ROSTER].find_one({"_id": f"{code}|c|{cid}"}, {"_id": 1}):
                storage.upsert_contestant(self.db, code, {"contestant_id": cid}, withdrawn=True)
        for judge in snap.get("judges") or []:
            storage.upsert_judge(self.db, code, judge)
        storage.apply_conflicts(self.db, code, int(snap.get("conflicts_revision") or 0), snap.get("conflicts") or [],
                                at_least=True)
        return snap

    def _known(self, code: str) -> dict:
        doc = storage.state(self.db, code)
        if doc is None or not doc.get("snapshot"):
            self._sync_roster(code)
            doc = self._state(code)
        return doc

    # ----------------------------------------------------------- marking scheme

    @rpc
    def put_marking_scheme(self, actor: dict, code: str, scheme: dict) -> dict:
        """Upload (or replace, until marking opens) the scheme as JSON."""
        require_role(actor, ORGANISERS)
        doc = self._known(code)
        self._access(actor, code, doc, (OWNER,))
        try:
            parsed = load_scheme(scheme, require_wsos=wsos_required(doc))
        except SchemeInvalid as error:
            raise scheme_refused(error, "marking scheme")
        return self._store_scheme(actor, code, parsed, "json")

    @rpc
    def import_marking_scheme(self, actor: dict, code: str, content_b64: str) -> dict:
        """Upload (or replace) the scheme as a CIS "Marking Scheme Import" workbook."""
        require_role(actor, ORGANISERS)
        doc = self._known(code)
        self._access(actor, code, doc, (OWNER,))
        content = decode_upload(content_b64)
        try:
            imported = read_scheme_workbook(content, require_wsos=wsos_required(doc))
        except SchemeInvalid as error:
            raise scheme_refused(error, "marking scheme workbook")
        source = "cis_xlsx" if imported.layout == "cis" else "score_sheet_xlsx"
        answer = self._store_scheme(actor, code, imported.scheme, source)
        return {**answer, "warnings": imported.warnings + answer["warnings"]}

    def _store_scheme(self, actor: dict, code: str, parsed, source: str) -> dict:
        doc = self._known(code)
        if doc["status"] != "setup":
            raise ServiceError("INVALID_STATE", f"marking of {code} has opened: its marking scheme is frozen")
        version = storage.save_scheme(self.db, code, scheme_to_json(parsed), source, actor["username"], utc_now())
        if not version:
            raise ServiceError("INVALID_STATE", f"marking of {code} has opened: its marking scheme is frozen")
        self._audit(code, actor, "scheme", version=version, source=source)
        return self._scheme_answer(code, parsed, version, source)

    @staticmethod
    def _scheme_answer(code: str, parsed, version: int, source: str) -> dict:
        variation = [{**row, "wsos_marks": format_mark(row["wsos_marks"]), "aspect_marks": format_mark(row["aspect_marks"]),
                      "variation": format_mark(row["variation"])} for row in wsos_variation(parsed)]
        return {"competition_code": code, "version": version, "source": source, "scheme": scheme_to_json(parsed),
                "aspects": len(parsed.aspects), "total": format_mark(parsed.total_max_mark),
                "summary": scheme_summary(parsed),
                "wsos_variation": variation, "warnings": wsos_warnings(parsed)}

    @rpc
    def get_marking_scheme(self, actor: dict, code: str) -> dict:
        require_role(actor, STAFF)
        doc = self._state(code)
        self._access(actor, code, doc, MARKING_TEAM)
        if not doc.get("scheme_version"):
            raise ServiceError("NOT_FOUND", f"competition {code} has no marking scheme yet")
        parsed, _ = storage.scheme(self.db, code, doc["scheme_version"])
        stored = self.db[storage.SCHEMES].find_one({"_id": code}, {"source": 1})
        return {**self._scheme_answer(code, parsed, doc["scheme_version"], stored["source"]),
                "frozen": doc["status"] != "setup"}

    @rpc
    def export_marking_scheme(self, actor: dict, code: str, fmt: str) -> dict:
        """The stored scheme as a CIS "Marking Scheme Import" workbook (with its Calculations sheet)."""
        require_role(actor, STAFF)
        doc = self._state(code)
        self._access(actor, code, doc, MARKING_TEAM)
        _check_format(fmt, ("json", "xlsx"), served=("xlsx",))
        parsed = self._stored_scheme(code, doc)
        skill = (doc.get("snapshot") or {}).get("skill") or {}
        title = " ".join(str(part) for part in (skill.get("code"), skill.get("name")) if part) or code
        return download(f"{code}-marking-scheme.xlsx", XLSX_MIMETYPE, cis_workbook(parsed, title))

    @rpc
    def marking_form(self, actor: dict, code: str, sub_id: str, fmt: str) -> dict:
        """A printable form for one sub-criterion: contestant numbers down, aspects across."""
        require_role(actor, SEE_ALL + MARKERS)
        doc = self._known(code)
        self._access(actor, code, doc, MARKING_TEAM)
        _check_format(fmt, tuple(marking_forms.FORMATS))
        parsed = self._stored_scheme(code, doc)
        if not parsed.aspects_of(sub_id):
            raise not_found("sub-criterion", sub_id)
        entries = sorted(self._roster(code, doc).members)
        snap = doc.get("snapshot") or {}
        content = marking_forms.render(fmt, parsed, sub_id, entries, {"code": code, "name": snap.get("name", "")})
        return download(f"{code}-{sub_id}-marking-form.{fmt}", marking_forms.FORMATS[fmt], content)

    def _stored_scheme(self, code: str, doc: dict):
        if not doc.get("scheme_version"):
            raise ServiceError("NOT_FOUND", f"competition {code} has no marking scheme yet")
        return storage.scheme(self.db, code, doc["scheme_version"])[0]

    # ------------------------------------------------------------------ opening

    @rpc
    def open_marking(self, actor: dict, code: str) -> dict:
        """Freeze the scheme, take registration's roster and start accepting marks.

        Registration must be closed: the roster is then stable (late withdrawals still arrive as
        events and are honoured).
        """
        require_role(actor, ("organiser", "admin", "chief_expert"))
        doc = storage.state(self.db, code)
        snap = self._sync_roster(code) if doc is None or doc["status"] == "setup" else None
        doc = self._state(code)
        self._access(actor, code, doc, (OWNER, CHIEF))
        if doc["status"] != "setup":
            raise ServiceError("INVALID_STATE", f"marking of {code} is already open" if doc["status"] == "marking"
                               else f"results of {code} are final")
        problems = []
        if not doc.get("scheme_version"):
            problems.append({"path": "/marking-scheme", "problem": "upload a marking scheme first"})
        if snap["competition"]["status"] != "closed":
            problems.append({"path": "/status", "problem": f"registration is {snap['competition']['status']}: "
                                                           "close registration before marking opens"})
        roster = self._roster(code, doc)
        if not roster.members:
            problems.append({"path": "/contestants", "problem": "no active contestant to mark"})
        if problems:
            raise ServiceError("INVALID_STATE", f"marking of {code} cannot open: {problems[0]['problem']}", problems)
        try:
            policy = resolve_policy(self.config.get("SCORING_POLICY") or None)
        except PolicyInvalid as error:
            raise ServiceError("INVALID_STATE", "the configured scoring policy is invalid", error.details())
        parsed, _ = storage.scheme(self.db, code, doc["scheme_version"])
        subs = [s.id for s in parsed.sub_criteria]
        storage.create_sheets(self.db, code, subs)
        opened = self._update_with_event(
            COMPETITIONS, code, {"status": "setup", "scheme_version": doc["scheme_version"]},
            {"$set": {"status": "marking", "policy": policy, "opened_by": actor["username"], "opened_at": utc_now()}},
            "marking_opened", {"competition_code": code, "scheme_version": doc["scheme_version"], "sub_criteria": subs,
                               "entries": len(roster.members), "opened_by": actor["username"]})
        if not opened.matched_count:
            raise ServiceError("CONFLICT", f"{code} changed meanwhile (scheme replaced or marking opened); try again")
        self._audit(code, actor, "open", version=doc["scheme_version"])
        return {"competition_code": code, "status": "marking", "scheme_version": doc["scheme_version"],
                "entries": len(roster.members), "judges": sorted(roster.judges), "sub_criteria": subs,
                "policy": policy}

    # -------------------------------------------------------------------- marks

    @rpc
    def record_marks(self, actor: dict, code: str, payload: dict) -> dict:
        """Record a judge's marks: every mark checked first, then all written, or none."""
        require_role(actor, MARKERS)
        if not marksheet.shape_ok(payload):
            validate(payload, SCHEMAS / "marks_submit.json", "marks")
        body = {"marks": payload["marks"], "reason": payload.get("reason")}
        user = actor["username"]
        return run_once(RequestPartition(self.db, code, user), f"{user}:marks:{code}", payload["request_id"], body,
                        lambda: self._record(actor, code, payload))

    def _record(self, actor: dict, code: str, payload: dict) -> dict:
        user = actor["username"]
        doc = self._state(code, storage.HOT_FIELDS)
        if doc["status"] != "marking":
            raise ServiceError("INVALID_STATE", f"marking of {code} has not opened" if doc["status"] == "setup"
                               else f"results of {code} are final: marks can no longer change")
        roster = self._roster(code, doc)
        if roster.judges.get(user) not in MARKERS:
            raise ServiceError("FORBIDDEN", f"{user} is not assigned to {code} as judge or chief expert")
        parsed, index = storage.scheme(self.db, code, doc["scheme_version"])
        checked, problems = marksheet.check_marks(payload["marks"], user, roster, parsed, index)
        subs = {m.sub for m in checked}
        projection = {"sub": 1, "locked": 1, "unlocked_before": 1}
        if len(checked) <= 200:
            for m in checked:
                projection[f"{'j' if m.judgement else 'm'}.{key(m.entry)}.{m.aspect}"] = 1
        else:
            projection = None
        sheets = {s["sub"]: s for s in self.db[SHEETS].find({"_id": {"$in": [sheet_id(code, s) for s in subs]}},
                                                            projection)}
        reason = payload.get("reason")
        jkey = key(user)
        writes: dict[str, dict] = {}
        changes: list[dict] = []
        touched_j: list = []
        for m in checked:
            sheet = sheets[m.sub]
            if sheet.get("locked"):
                problems.append(problem(f"/marks/{m.index}", f"sub-criterion {m.sub} is locked", "LOCKED"))
                continue
            ekey, slot = key(m.entry), str(m.aspect)
            if m.judgement:
                scores = ((sheet.get("j") or {}).get(ekey) or {}).get(slot) or {}
                old = scores.get(jkey)
                path = f"j.{ekey}.{slot}.{jkey}"
                new_stored, old_observed = m.value, None
                touched_j.append((m, scores))
            else:
                held = ((sheet.get("m") or {}).get(ekey) or {}).get(slot)
                old = held[0] if held else None
                old_observed = held[2] if held and len(held) > 2 else None
                path = f"m.{ekey}.{slot}"
                new_stored = [m.value, user] + ([m.observed] if m.observed is not None else [])
            if old == m.value and (m.judgement or old_observed == m.observed):
                continue
            if old is not None and sheet.get("unlocked_before") and not reason:
                field = "score" if m.judgement else ("observed" if m.observed is not None else "value")
                problems.append(problem(f"/marks/{m.index}/{field}", f"sub-criterion {m.sub} was unlocked for a "
                                        "correction: changing a mark needs a reason", "REASON_REQUIRED"))
                continue
            writes.setdefault(m.sub, {})[path] = new_stored
            change = {"entry": m.entry, "aspect": parsed.aspects[m.aspect].id, "sub_criterion": m.sub,
                      "type": "J" if m.judgement else "M", "old": old, "new": m.value}
            if m.judgement:
                change["judge"] = user
            elif m.observed is not None or old_observed is not None:
                change.update(observed=m.observed, old_observed=old_observed)
            changes.append(change)
        if problems:
            problems.sort(key=lambda p: int(p["path"].split("/")[2]))
            raise refused(problems, "marks refused")
        for sub, sets in writes.items():
            done = self.db[SHEETS].update_one({"_id": sheet_id(code, sub), "locked": False}, {"$set": sets})
            if not done.matched_count:
                raise ServiceError("INVALID_STATE", f"sub-criterion {sub} was locked meanwhile; check and resubmit")
        if changes:
            self._audit(code, actor, "marks", request_id=payload["request_id"], reason=reason, changes=changes)
        limit = (doc.get("policy") or {}).get("dispute_limit", 1)
        disputes = []
        for m, scores in touched_j:
            merged = {**scores, jkey: m.value}
            if is_disputed(list(merged.values()), limit):
                disputes.append({"entry": m.entry, "aspect": parsed.aspects[m.aspect].id, "scores": {user: m.value}})
        return {"competition_code": code, "recorded": len(checked), "changed": len(changes),
                "unchanged": len(checked) - len(changes), "disputes": disputes}

    @rpc
    def list_marks(self, actor: dict, code: str, filters: dict | None = None) -> dict:
        """Marks, filtered; a judge sees only their own marks until the sub-criterion is locked."""
        require_role(actor, SEE_ALL + MARKERS)
        filters = {k: v for k, v in (filters or {}).items() if v}
        doc = self._state(code)
        where = self._access(actor, code, doc, MARKING_TEAM)
        if not doc.get("scheme_version") or doc["status"] == "setup":
            return {"competition_code": code, "items": []}
        roster = self._roster(code, doc)
        parsed, _ = storage.scheme(self.db, code, doc["scheme_version"])
        user, sees_all = actor["username"], where in (OWNER, CHIEF)
        wanted_entry = roster.all_entries.get(filters.get("contestant"), filters.get("contestant"))
        query = {"code": code}
        if filters.get("sub_criterion"):
            query["sub"] = filters["sub_criterion"]
        items = []
        for sheet in self.db[SHEETS].find(query):
            mine_only = not sees_all and not sheet.get("locked")
            for kind in ("m", "j"):
                for ekey, slots in (sheet.get(kind) or {}).items():
                    entry = storage.unkey(ekey)
                    if wanted_entry and entry != wanted_entry:
                        continue
                    for slot, held in slots.items():
                        aspect = parsed.aspects[int(slot)]
                        if filters.get("aspect") and aspect.id != filters["aspect"]:
                            continue
                        row = {"entry": entry, "contestants": roster.members.get(entry, [entry]),
                               "aspect": aspect.id, "sub_criterion": sheet["sub"], "type": aspect.type,
                               "locked": bool(sheet.get("locked"))}
                        if kind == "m":
                            if mine_only and held[1] != user:
                                continue
                            observed = {"observed": held[2]} if len(held) > 2 else {}
                            items.append({**row, "value": held[0], "entered_by": held[1], **observed})
                        else:
                            for judge, score in sorted(held.items()):
                                judge = storage.unkey(judge)
                                if (mine_only and judge != user) or (filters.get("judge") and judge != filters["judge"]):
                                    continue
                                items.append({**row, "judge": judge, "score": score})
        items.sort(key=lambda r: (r["sub_criterion"], r["entry"], r["aspect"], r.get("judge") or ""))
        return {"competition_code": code, "items": items}

    # ------------------------------------------------------- progress, disputes

    def _statuses(self, code: str, doc: dict, only: str | None = None) -> tuple[list[dict], storage.Roster]:
        if doc["status"] == "setup":
            raise ServiceError("INVALID_STATE", f"marking of {code} has not opened")
        roster = self._roster(code, doc)
        parsed, index = storage.scheme(self.db, code, doc["scheme_version"])
        query = {"code": code, **({"sub": only} if only else {})}
        order = {s.id: i for i, s in enumerate(parsed.sub_criteria)}
        sheets = sorted(self.db[SHEETS].find(query), key=lambda s: order.get(s["sub"], 0))
        return [marksheet.sub_status(parsed, index, s, roster, doc["policy"]) for s in sheets], roster

    @rpc
    def progress(self, actor: dict, code: str) -> dict:
        require_role(actor, SEE_ALL + MARKERS)
        doc = self._state(code)
        self._access(actor, code, doc, MARKING_TEAM)
        statuses, roster = self._statuses(code, doc)
        totals = {k: sum(s[k] for s in statuses) for k in ("expected", "in", "missing", "partial", "disputed")}
        return {"competition_code": code, "status": doc["status"], "entries": len(roster.members),
                **totals, "locked": sum(s["locked"] for s in statuses), "sub_criteria_count": len(statuses),
                "sub_criteria": [marksheet.public(s) for s in statuses]}

    @rpc
    def list_disputes(self, actor: dict, code: str) -> dict:
        """Disputed judgements; a judge sees where, and their own score only, never the others' before the lock."""
        require_role(actor, SEE_ALL + MARKERS)
        doc = self._state(code)
        where = self._access(actor, code, doc, MARKING_TEAM)
        statuses, _ = self._statuses(code, doc)
        items = [d for s in statuses for d in s["_disputed"]]
        if where == JUDGE:
            user = actor["username"]
            items = [{"entry": d["entry"], "aspect": d["aspect"], "sub_criterion": d["sub_criterion"],
                      "scores": {user: d["scores"][user]} if user in d["scores"] else {}} for d in items]
        return {"competition_code": code, "limit": doc["policy"].get("dispute_limit"), "items": items}

    @rpc
    def resolve_dispute(self, actor: dict, code: str, payload: dict) -> dict:
        """The chief expert records the judges' agreed scores on a disputed aspect (idempotent by request_id)."""
        require_role(actor, ("chief_expert", "admin"))
        self._require_chief(actor, self._roster(code, self._state(code)))
        validate(payload, SCHEMAS / "dispute_resolve.json", "dispute resolution")
        body = {k: v for k, v in payload.items() if k != "request_id"}
        user = actor["username"]
        return run_once(self.db, f"{user}:dispute:{code}", payload["request_id"], body,
                        lambda: self._resolve(actor, code, payload))

    def _resolve(self, actor: dict, code: str, payload: dict) -> dict:
        doc = self._state(code)
        roster = self._roster(code, doc)
        if doc["status"] != "marking":
            raise ServiceError("INVALID_STATE", f"marking of {code} is not open" if doc["status"] == "setup"
                               else f"results of {code} are final: reopen them first")
        parsed, index = storage.scheme(self.db, code, doc["scheme_version"])
        entry, position, problems = marksheet.disputed_cell(payload, actor["username"], roster, parsed, index)
        if problems:
            raise refused(problems, "dispute resolution refused")
        sub = payload["sub_criterion"]
        slot, ekey = str(position), key(entry)
        sheet = self.db[SHEETS].find_one({"_id": sheet_id(code, sub)}, {"locked": 1, f"j.{ekey}.{slot}": 1})
        if sheet.get("locked"):
            raise ServiceError("INVALID_STATE", f"sub-criterion {sub} is locked: unlock it to resolve a dispute",
                               [{"path": "/sub_criterion", "problem": "locked", "code": "LOCKED"}])
        held = {storage.unkey(j): s for j, s in (((sheet.get("j") or {}).get(ekey) or {}).get(slot) or {}).items()}
        problems = [problem(p.path, p.problem, RESOLUTION_CODES[p.path.count("/") if p.path != "/aspect" else 0])
                    for p in resolution_problems(held, payload["scores"], doc["policy"].get("dispute_limit"))]
        if problems and problems[0]["code"] == "NOT_DISPUTED":
            raise ServiceError("INVALID_STATE", f"{payload['aspect']} of {entry} is not in dispute", problems)
        if problems:
            raise refused(problems, "dispute resolution refused")
        sets = {f"j.{ekey}.{slot}.{key(j)}": s for j, s in payload["scores"].items()}
        done = self.db[SHEETS].update_one({"_id": sheet_id(code, sub), "locked": False}, {"$set": sets})
        if not done.matched_count:
            raise ServiceError("CONFLICT", f"the scores of {payload['aspect']} changed or {sub} was locked meanwhile; "
                                           "check the dispute and try again")
        aspect = payload["aspect"]
        changes = [{"entry": entry, "aspect": aspect, "sub_criterion": sub, "type": "J", "judge": judge,
                    "old": held[judge], "new": score} for judge, score in sorted(payload["scores"].items())
                   if held[judge] != score]
        self._audit(code, actor, "dispute", request_id=payload["request_id"], reason=payload["reason"],
                    changes=changes)
        return {"competition_code": code, "sub_criterion": sub, "entry": entry, "aspect": aspect,
                "scores": {**held, **payload["scores"]}, "changed": len(changes), "reason": payload["reason"]}

    # ------------------------------------------------------------- lock, unlock

    @rpc
    def lock_sub_criterion(self, actor: dict, code: str, sub_id: str) -> dict:
        """Lock a complete sub-criterion without disputes (idempotent: a locked one stays locked)."""
        require_role(actor, ("chief_expert", "admin"))
        doc = self._state(code)
        self._require_chief(actor, self._roster(code, doc))
        if doc["status"] != "marking":
            raise ServiceError("INVALID_STATE", f"marking of {code} is not open")
        statuses, _ = self._statuses(code, doc, only=sub_id)
        if not statuses:
            raise not_found("sub-criterion", sub_id)
        status = statuses[0]
        if status["locked"]:
            return marksheet.public(status)
        if status["_missing"] or status["_disputed"]:
            details = [{"path": f"/entries/{p['entry']}/{p['aspect']}", "problem": p["problem"]}
                       for p in status["_missing"]]
            details += [{"path": f"/entries/{d['entry']}/{d['aspect']}",
                         "problem": f"in dispute: judges' scores {sorted(d['scores'].values())} differ by more than "
                                    f"{doc['policy'].get('dispute_limit')}"} for d in status["_disputed"]]
            raise ServiceError("RULE_VIOLATION", f"sub-criterion {sub_id} cannot be locked: {status['missing']} "
                               f"mark(s) missing, {status['disputed']} in dispute", details[:marksheet.MAX_DETAILS])
        locked = self._update_with_event(
            SHEETS, sheet_id(code, sub_id), {"locked": False},
            {"$set": {"locked": True, "locked_by": actor["username"], "locked_at": utc_now()}},
            "marks_locked", {"competition_code": code, "sub_criterion": sub_id, "locked_by": actor["username"]})
        if locked.matched_count:
            self._audit(code, actor, "lock", sub_criterion=sub_id)
        return {**marksheet.public(status), "locked": True}

    @rpc
    def unlock_sub_criterion(self, actor: dict, code: str, sub_id: str, payload: dict) -> dict:
        """Unlock for a correction (reason required); later changes there need a reason too."""
        require_role(actor, ("chief_expert", "admin"))
        doc = self._state(code)
        self._require_chief(actor, self._roster(code, doc))
        validate(payload, SCHEMAS / "reason.json", "unlock")
        if doc["status"] == "final":
            raise ServiceError("INVALID_STATE", f"results of {code} are final: reopen them before unlocking")
        if doc["status"] != "marking":
            raise ServiceError("INVALID_STATE", f"marking of {code} is not open")
        sheet = self.db[SHEETS].find_one({"_id": sheet_id(code, sub_id)}, {"locked": 1})
        if sheet is None:
            raise not_found("sub-criterion", sub_id)
        done = self._update_with_event(
            SHEETS, sheet_id(code, sub_id), {"locked": True}, {"$set": {"locked": False, "unlocked_before": True}},
            "marks_unlocked", {"competition_code": code, "sub_criterion": sub_id, "unlocked_by": actor["username"],
                               "reason": payload["reason"]})
        if not done.matched_count:
            raise ServiceError("INVALID_STATE", f"sub-criterion {sub_id} is not locked")
        self._audit(code, actor, "unlock", sub_criterion=sub_id, reason=payload["reason"])
        return {"competition_code": code, "sub_criterion": sub_id, "locked": False, "reason": payload["reason"]}

    # -------------------------------------------------------------------- audit

    @rpc
    def audit(self, actor: dict, code: str, filters: dict | None = None) -> dict:
        """Every recorded change, oldest first; filters: contestant, aspect, sub_criterion, judge, by, kind."""
        require_role(actor, SEE_ALL)
        filters = {k: v for k, v in (filters or {}).items() if v}
        doc = self._state(code)
        self._access(actor, code, doc, (OWNER, CHIEF))
        roster = self._roster(code, doc)
        entry = roster.all_entries.get(filters.get("contestant"), filters.get("contestant"))
        query = {"code": code, **({"kind": filters["kind"]} if filters.get("kind") else {}),
                 **({"by": filters["by"]} if filters.get("by") else {})}
        rows = []
        for record in sorted(self.db[AUDIT].find(query), key=lambda r: r["at"]):
            base = {"at": iso_utc(record["at"]), "by": record["by"], "role": record.get("role"),
                    "kind": record["kind"], "reason": record.get("reason"), "request_id": record.get("request_id")}
            if "changes" not in record:
                row = {**base, **{k: record.get(k) for k in ("sub_criterion", "version", "revision") if k in record}}
                if (entry or filters.get("aspect") or filters.get("judge")) or (
                        filters.get("sub_criterion") and row.get("sub_criterion") != filters["sub_criterion"]):
                    continue
                rows.append(row)
                continue
            for change in record["changes"]:
                if ((entry and change["entry"] != entry) or (filters.get("aspect") and change["aspect"] != filters["aspect"])
                        or (filters.get("sub_criterion") and change["sub_criterion"] != filters["sub_criterion"])
                        or (filters.get("judge") and change.get("judge", record["by"]) != filters["judge"])):
                    continue
                rows.append({**base, **change})
        limit = int(filters.get("limit") or 5000)
        return {"competition_code": code, "count": len(rows), "items": rows[-limit:]}

    # ------------------------------------------------------------------ results

    @rpc
    def finalise(self, actor: dict, code: str) -> dict:
        """Compute and publish the final results; finalising again returns the same stored results."""
        require_role(actor, ("chief_expert", "admin"))
        doc = self._state(code)
        roster = self._roster(code, doc)
        self._require_chief(actor, roster)
        if doc["status"] == "final":
            return self._results_view({**self._stored_results(code), "replayed": True}, self._standing(actor, code, doc))
        if doc["status"] != "marking":
            raise ServiceError("INVALID_STATE", f"marking of {code} has not opened")
        heads = storage.sheet_heads(self.db, code)
        open_subs = sorted(s for s, h in heads.items() if not h.get("locked"))
        if open_subs:
            raise ServiceError("INVALID_STATE", f"every sub-criterion must be locked first; open: {', '.join(open_subs)}",
                               [{"path": f"/sub_criteria/{s}", "problem": "not locked"} for s in open_subs])
        rows = self._compute(code, doc, roster, provisional=False)
        revision = int(doc.get("results_revision") or 0) + 1
        competition = self._event_competition(doc)
        now = utc_now()
        self.db[RESULTS].replace_one({"_id": code}, {"_id": code, "revision": revision, "competition": competition,
                                                     "event": competition.get("event"), "results": rows,
                                                     "finalised_by": actor["username"], "finalised_at": now},
                                     upsert=True)
        published = [{k: row[k] for k in PUBLISHED_FIELDS} for row in rows]
        flipped = self._update_with_event(
            COMPETITIONS, code, {"status": "marking"}, {"$set": {"status": "final", "results_revision": revision}},
            "results_published", {"competition": competition, "revision": revision, "results": published})
        where = self._standing(actor, code, doc)
        if not flipped.matched_count:
            return self._results_view({**self._stored_results(code), "replayed": True}, where)
        self._audit(code, actor, "finalise", revision=revision)
        return self._results_view({**self._stored_results(code), "replayed": False}, where)

    @rpc
    def reopen_results(self, actor: dict, code: str, payload: dict) -> dict:
        """Take final results back for a correction: unlock, change, relock, finalise → revision + 1."""
        require_role(actor, ("chief_expert", "admin"))
        doc = self._state(code)
        self._require_chief(actor, self._roster(code, doc))
        validate(payload, SCHEMAS / "reason.json", "reopen")
        done = self.db[COMPETITIONS].update_one({"_id": code, "status": "final"}, {"$set": {"status": "marking"}})
        if not done.matched_count:
            raise ServiceError("INVALID_STATE", f"results of {code} are not final")
        self._audit(code, actor, "reopen", reason=payload["reason"], revision=doc.get("results_revision"))
        return {"competition_code": code, "status": "marking", "revision": doc.get("results_revision"),
                "reason": payload["reason"]}

    def _compute(self, code: str, doc: dict, roster: storage.Roster, provisional: bool) -> list[dict]:
        parsed, _ = storage.scheme(self.db, code, doc["scheme_version"])
        measurements, judgements = marksheet.results_input(parsed, self.db[SHEETS].find({"code": code}),
                                                           set(roster.members))
        people = []
        for cid in sorted(roster.entry_of):
            person = roster.contestants[cid]
            entry = roster.entry_of[cid]
            people.append({"id": cid, "delegation": delegation_label(person.get("delegation")),
                           "team": entry if entry != cid else None})
        try:
            results = compute_results(parsed, measurements, judgements, people, doc["policy"], provisional=provisional)
        except MarkingRuleViolation as error:
            raise ServiceError("RULE_VIOLATION", f"results of {code} cannot be computed: {error.problems[0].problem}",
                               error.details()[:marksheet.MAX_DETAILS])
        rows = []
        for r in results:
            person = roster.contestants[r.contestant_id]
            rows.append({"contestant_id": r.contestant_id, "person_key": person.get("person_key"),
                         "masked_id": person.get("masked_id"), "name": person.get("name"),
                         "employer": person.get("employer") or "", "delegation": person.get("delegation") or None,
                         "employment": person.get("employment"), "current_level": person.get("skill_level"),
                         "team": person.get("team"), "raw": format_mark(r.raw_total), "scale": r.scale,
                         "rank": r.rank, "medal": r.medal, "medallion": r.medallion,
                         "best_of_delegation": r.best_of_delegation, "entry_id": r.entry_id,
                         "criterion_marks": {k: format_mark(v) for k, v in r.criterion_marks.items()},
                         **({"missing": r.missing, "disputed": list(r.disputed)} if provisional else {})})
        return rows

    @staticmethod
    def _event_competition(doc: dict) -> dict:
        snap = doc.get("snapshot") or {}
        return {"code": snap["code"], "name": snap["name"], "tier": snap["tier"], "skill": snap["skill"],
                "level": snap.get("level"), "year": snap["year"], "team": bool(snap.get("team")),
                "event": snap.get("event"), "selection_trial": bool(snap.get("selection_trial"))}

    def _stored_results(self, code: str) -> dict:
        stored = self.db[RESULTS].find_one({"_id": code})
        if stored is None:
            raise ServiceError("INVALID_STATE", f"results of {code} are being finalised; try again shortly")
        return {"competition_code": code, "final": True, "revision": stored["revision"],
                "competition": stored["competition"], "finalised_by": stored["finalised_by"],
                "finalised_at": iso_utc(stored["finalised_at"]), "results": stored["results"]}

    @rpc
    def get_results(self, actor: dict, code: str) -> dict:
        """Final results for the competition's owners, experts and the committee; before that, provisional
        ones (missing marks as 0) for its organisers and chief expert. Only owners and the committee
        read the person key and the masked ID number."""
        require_role(actor, STAFF)
        doc = self._state(code)
        where = self._access(actor, code, doc, (*MARKING_TEAM, COMMITTEE))
        if doc["status"] == "final":
            return self._results_view(self._stored_results(code), where)
        if where not in (OWNER, CHIEF):
            raise ServiceError("INVALID_STATE", f"results of {code} are not final yet")
        if doc["status"] != "marking":
            raise ServiceError("INVALID_STATE", f"marking of {code} has not opened")
        return self._results_view({"competition_code": code, "final": False, "revision": None,
                                   "competition": self._event_competition(doc),
                                   "results": self._compute(code, doc, self._roster(code, doc), provisional=True)},
                                  where)

    @rpc
    def export_results(self, actor: dict, code: str, fmt: str) -> dict:
        _check_format(fmt, export.FORMATS)
        answer = self.get_results(actor, code)
        parsed, _ = storage.scheme(self.db, code, self._state(code, {"scheme_version": 1})["scheme_version"])
        content, mimetype = export.render(fmt, answer, [c.letter for c in parsed.criteria])
        suffix = "" if answer["final"] else "-provisional"
        return download(f"{code}-results{suffix}.{fmt}", mimetype, content)

    @rpc
    def event_top_score(self, actor: dict, event: str) -> dict:
        """Top-score award of an event, over its finalised competitions (joint winners on ties)."""
        require_role(actor, STAFF)
        rows, competitions = [], []
        for stored in self.db[RESULTS].find({"event": event}):
            competitions.append(stored["_id"])
            rows += [{**r, "id": f"{stored['_id']}/{r['contestant_id']}", "competition_code": stored["_id"]}
                     for r in stored["results"]]
        winners = set(top_score_award(rows))
        return {"event": event, "competitions": sorted(competitions),
                "winners": [{k: r.get(k) for k in ("competition_code", "contestant_id", "name", "team", "delegation",
                                                   "raw", "scale")} for r in rows if r["id"] in winners]}

    # ---------------------------------------------------- registration's events

    def _on(self, event: dict, apply) -> None:
        handle_once(self.db, event, apply)

    @event_handler("registration", "competition_created")
    def on_competition_created(self, event: dict) -> None:
        self._on(event, lambda e: storage.apply_snapshot(self.db, e["competition"]["code"], e["competition"]))

    @event_handler("registration", "competition_updated")
    def on_competition_updated(self, event: dict) -> None:
        self._on(event, lambda e: storage.apply_snapshot(self.db, e["competition"]["code"], e["competition"]))

    @event_handler("registration", "competition_opened")
    def on_competition_opened(self, event: dict) -> None:
        self._on(event, lambda e: storage.apply_snapshot(self.db, e["competition"]["code"], e["competition"]))

    @event_handler("registration", "competition_closed")
    def on_competition_closed(self, event: dict) -> None:
        self._on(event, lambda e: storage.apply_snapshot(self.db, e["competition"]["code"], e["competition"]))

    @event_handler("registration", "contestant_registered")
    def on_contestant_registered(self, event: dict) -> None:
        self._on(event, lambda e: storage.upsert_contestant(self.db, e["competition_code"], e["contestant"]))

    @event_handler("registration", "contestant_withdrawn")
    def on_contestant_withdrawn(self, event: dict) -> None:
        self._on(event, lambda e: storage.upsert_contestant(
            self.db, e["competition_code"], {"contestant_id": e["contestant_id"]}, withdrawn=True))

    @event_handler("registration", "judge_assigned")
    def on_judge_assigned(self, event: dict) -> None:
        self._on(event, lambda e: storage.upsert_judge(self.db, e["competition_code"], e["judge"]))

    @event_handler("registration", "conflicts_updated")
    def on_conflicts_updated(self, event: dict) -> None:
        self._on(event, lambda e: storage.apply_conflicts(self.db, e["competition_code"], e["revision"], e["conflicts"]))


def wsos_required(doc: dict) -> bool:
    """WSOS data is required at the WorldSkills tier only (below it, a warning when missing)."""
    return (doc.get("snapshot") or {}).get("tier") in (None, "worldskills")


def _check_format(fmt: str, known, served=None) -> None:
    """422 for a ``?format=`` this answer does not come in (``served``: those handled here)."""
    if fmt not in (served or known):
        raise ServiceError("VALIDATION_FAILED", f"format must be one of {', '.join(known)}",
                           [{"path": "/format", "problem": f"unknown format {fmt!r}"}])


PUBLISHED_FIELDS = ("contestant_id", "person_key", "masked_id", "name", "employer", "delegation", "employment",
                    "current_level", "team", "raw", "scale", "rank", "medal", "medallion", "best_of_delegation")

SERVICE = ScoringService
