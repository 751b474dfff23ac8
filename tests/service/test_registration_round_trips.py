"""Database round trips and documents written by a roster import (issue 8), counted with pymongo's
command monitoring on every command the registration service sends, over the wire.

The round trips were already the same for 30 and 300 rows; what grew with the rows was the documents
each insert and update wrote: the local server writes them one at a time, and a 300-row import took
longer than the gateway's 10 s timeout when each contestant was inserted and then updated. An import
now writes the same few documents whatever its size (the batch is one document); the ``settle``
timer copies the batch into ``contestants`` afterwards, one document per contestant, in the same
number of round trips. No time is measured here (``python -m bench.roster`` prints the import's time).
"""
from __future__ import annotations

import contextlib
from datetime import date

import mongoengine
import pytest
from greenlet import getcurrent
from mongoengine.connection import get_db
from mongoengine.context_managers import switch_db
from nameko.testing.services import worker_factory
from pymongo import monitoring

from services.registration.adapters import documents
from services.registration.adapters.policy import load_eligibility_policy
from services.registration.adapters.repository import RegistrationRepository
from services.registration.handlers import contestants
from services.registration.service import RegistrationService
from shared.roundtrips import RoundTrips
from tests.e2e.helpers import competition_payload
from tests.service.test_registration_outbox import roster_csv
from tests.unit.registration.idgen import make_resident_id

ORGANISER = {"username": "org", "role": "organiser"}
COUNTED_ALIAS = "registration-counted"
#: What an import costs whatever its size, as measured: its round trips and the documents it writes
#: (the batch, the competition's commit and "sent" mark, the conflicts and their relay), and the round
#: trips of copying the batch into ``contestants`` afterwards (before: 16 round trips, but 64 documents
#: written for 30 rows and 604 for 300).
IMPORT_TARGET, WRITTEN_TARGET, COPY_TARGET = 16, 5, 5


class RoundTripsHere(RoundTrips):
    """Only the commands this test's greenthread sends (not the timers of services running meanwhile)."""

    def __init__(self) -> None:
        super().__init__()
        self.here = getcurrent()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if getcurrent() is self.here:
            super().started(event)


class DocumentsWritten(monitoring.CommandListener):
    """The documents the server reports inserted, updated or deleted (``n`` of each write's reply) for
    the commands this test's greenthread sends."""

    def __init__(self) -> None:
        self.total = 0
        self.here = getcurrent()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        if event.command_name in ("insert", "update", "delete") and getcurrent() is self.here:
            self.total += int(event.reply.get("n", 0))

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def counted(databases, test_config, monkeypatch):
    """A registration worker whose documents live on a connection and in a database of their own, every
    command counted. In a whole test session the end-to-end tests' services run in this process: the
    documents are switched for them too, so their ``settle`` timer is stilled meanwhile (this test
    copies its batches itself) and their commands are not counted."""
    monkeypatch.setattr(contestants, "settle_batches", lambda ctx: None)
    counter, written = RoundTripsHere(), DocumentsWritten()
    name = databases["registration"].name + "_roundtrips"
    client = mongoengine.connect(db=name, alias=COUNTED_ALIAS, host=test_config["MONGODB_URI"],
                                 uuidRepresentation="standard", event_listeners=[counter, written])
    stored = [cls for cls in vars(documents).values()
              if isinstance(cls, type) and issubclass(cls, mongoengine.Document) and cls is not mongoengine.Document]
    with contextlib.ExitStack() as switched:
        for cls in stored:
            switched.enter_context(switch_db(cls, COUNTED_ALIAS))
        worker = worker_factory(RegistrationService, db=get_db(COUNTED_ALIAS), config=test_config,
                                repository=RegistrationRepository(), policy=load_eligibility_policy())
        worker.today = lambda: date.today()
        yield worker, counter, written
    client.drop_database(name)
    mongoengine.disconnect(COUNTED_ALIAS)


def people(count: int) -> list[dict]:
    """``count`` distinct people (the helpers' ``person`` has fewer than 900 for the whole session)."""
    return [{"name": f"选手{n}", "gender": "male" if n % 2 else "female", "date_of_birth": f"1995-01-{1 + n // 300:02d}",
             "id_number": make_resident_id(birth=date(1995, 1, 1 + n // 300), seq=f"{100 + n % 300:03d}"),
             "employer": f"上海电气集团{n % 5}", "delegation": {"kind": "district", "name": "浦东新区"}}
            for n in range(count)]


def import_round_trips(worker, counter: RoundTrips, written: DocumentsWritten, rows: int) -> tuple[int, int, int]:
    """Round trips and documents written of importing ``rows`` rows into a fresh competition (after a
    first import into it), and round trips of copying that batch into ``contestants`` as the timer does."""
    code = worker.create_competition(ORGANISER, competition_payload(capacity=None))["code"]
    worker.change_status(ORGANISER, code, "open")
    roster = people(rows + 1)
    worker.import_contestants(ORGANISER, code, roster_csv(roster[0]), "roster.csv")
    for batch in worker.db["competitions"].find_one({"_id": code})["roster_batches"]:
        worker.repository.expand_batch(code, batch)
    before, documents = counter.total(), written.total
    assert worker.import_contestants(ORGANISER, code, roster_csv(*roster[1:]), "roster.csv")["registered"] == rows
    imported, documents = counter.total() - before, written.total - documents
    assert len(worker.list_contestants(ORGANISER, code)["items"]) == rows + 1, "listed whole before it is copied"
    [batch] = worker.db["competitions"].find_one({"_id": code})["roster_batches"]
    before = counter.total()
    worker.repository.expand_batch(code, batch)  # what settle does with each committed batch
    copied = counter.total() - before
    stored = worker.db["contestants"].count_documents({"competition_code": code, "status": "active"})
    assert stored == rows + 1, "the batch was copied into contestants"
    registered = [call.args[1] for call in worker.dispatch.call_args_list if call.args[0] == "contestant_registered"]
    assert len([e for e in registered if e["competition_code"] == code]) == rows + 1, "each event sent once"
    return imported, copied, documents


def test_a_roster_import_takes_as_many_round_trips_and_writes_for_300_rows_as_for_30(counted):
    worker, counter, written = counted
    small, large = (import_round_trips(worker, counter, written, n) for n in (30, 300))
    assert large[0] == small[0] <= IMPORT_TARGET, f"round trips of an import: {small[0]} for 30 rows, {large[0]} for 300"
    assert large[2] == small[2] <= WRITTEN_TARGET, (
        f"documents an import writes: {small[2]} for 30 rows, {large[2]} for 300")
    assert large[1] == small[1] <= COPY_TARGET, (
        f"round trips of copying the batch into contestants: {small[1]} for 30 rows, {large[1]} for 300")
