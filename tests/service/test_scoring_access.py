"""Scoring's object-level checks with nameko's worker_factory (registration's RPC is a mock)."""
from __future__ import annotations

import uuid

import pytest

from shared.errors import ServiceError
from tests.e2e.scoring_fixtures import contestant, small_scheme, snapshot
from tests.service.scoring_workers import scoring_worker

OWNER = {"username": "org", "role": "organiser"}


@pytest.fixture
def service(databases, test_config):
    worker = scoring_worker(databases["scoring"], test_config)
    worker.registration.organisers_of.return_value = ["org"]
    return worker


def competition(service) -> str:
    code = f"S{uuid.uuid4().hex[:8]}"
    service.registration.roster_snapshot.return_value = snapshot(code, [contestant(code, i) for i in range(3)])
    service.put_marking_scheme(OWNER, code, small_scheme())
    service.open_marking(OWNER, code)
    return code


def test_a_co_organiser_registration_just_added_is_let_in_before_the_event_arrives(service):
    code = competition(service)
    newcomer = {"username": "org-new", "role": "organiser"}
    with pytest.raises(ServiceError) as refused:
        service.audit(newcomer, code)
    assert refused.value.code == "FORBIDDEN"
    service.registration.organisers_of.return_value = ["org", "org-new"]
    assert service.audit(newcomer, code)["competition_code"] == code


@pytest.mark.parametrize("caller", [{"username": "chief-y", "role": "chief_expert"},
                                    {"username": "judge-z", "role": "judge"},
                                    {"username": "org-other", "role": "organiser"}])
def test_strangers_read_no_marks_audit_or_provisional_results(service, caller):
    code = competition(service)
    for read in (service.list_marks, service.audit, service.get_results, service.list_disputes, service.progress):
        with pytest.raises(ServiceError) as refused:
            read(caller, code)
        assert refused.value.code == "FORBIDDEN", read.__name__


def test_the_chief_expert_reads_provisional_results_without_identifiers(service):
    code = competition(service)
    rows = service.get_results({"username": "chief-x", "role": "chief_expert"}, code)["results"]
    assert rows and not {"masked_id", "person_key"} & set(rows[0])
    assert service.get_results(OWNER, code)["results"][0]["masked_id"]
