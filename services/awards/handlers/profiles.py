"""Candidate profiles written one at a time or from a sheet: each field with its source, then re-scored."""
from __future__ import annotations

import uuid

from services.awards.adapters.profile_files import parse_profiles
from services.awards.domain.people import merge_profile, new_person, pack
from services.awards.domain.profiles import clean_profile
from services.awards.handlers import Worker
from services.awards.projections.ranking import rescore
from services.awards.views.people import profile_view
from shared.errors import ServiceError
from shared.events import utc_now


def save_person(worker: Worker, actor: dict, body: dict) -> dict:
    repo = worker.repo
    clean, problems = clean_profile(body, repo.current_policy())
    if problems:
        raise ServiceError("VALIDATION_FAILED", f"person: {problems[0][1]}",
                           [{"path": f"/{field}", "problem": problem} for field, problem in problems])
    key = clean.pop("person_key")
    now = utc_now()
    existing = repo.person(key)
    person = merge_profile(existing or new_person(key, now), clean, {"kind": "api", "by": actor["username"], "at": now})
    repo.save_people([pack(person)])
    rescore(repo, [key], {key: person})
    return {"person_key": key, "created": existing is None, "profile": profile_view(person)}


def import_people(worker: Worker, actor: dict, content: bytes, hint: str) -> dict:
    """Profiles from a CSV or XLSX sheet: every row written, or none with every problem listed."""
    repo = worker.repo
    rows, problems = parse_profiles(content, hint, repo.current_policy())
    if problems:
        first = problems[0]
        where = f"row {first['row']}, column {first['column']}: " if first["row"] else ""
        raise ServiceError("VALIDATION_FAILED", f"profile file: {len(problems)} problem(s), nothing was written; "
                                                f"first: {where}{first['problem']}", problems)
    now = utc_now()
    batch = uuid.uuid4().hex[:12]
    keys = [row["person_key"] for row in rows]
    existing = repo.people_by_keys(keys)
    written = {}
    for row in rows:
        key = row["person_key"]
        clean = {k: v for k, v in row.items() if k not in ("row", "person_key")}
        source = {"kind": "import", "by": actor["username"], "at": now, "batch": batch, "row": row["row"],
                  "file": hint or None}
        written[key] = pack(merge_profile(existing.get(key) or new_person(key, now), clean, source))
    repo.save_people(written.values())
    rescore(repo, keys, written)
    return {"imported": len(rows), "created": len([k for k in keys if k not in existing]),
            "updated": len([k for k in keys if k in existing]), "batch": batch}
