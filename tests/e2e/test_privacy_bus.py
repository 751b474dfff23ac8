"""No resident ID number, nor the pieces to rebuild one, leaves registration during a whole season.

A queue bound with ``#`` to every service's events exchange and to the RPC exchange captures every
message of a season (registration → marks → finalise → honours → nominees, with exports), and
every HTTP answer is kept. The mask ``310105********1011`` hides exactly the eight birth-date
digits, so a masked ID is only harmless where no birth date goes with it. Exempt, by design: what
the gateway forwards to registration for an organiser (the roster they upload) and what
registration answers the competition's own organisers and admins.
"""
from __future__ import annotations

import base64
import io
import json
import re
import uuid
import zipfile
from datetime import date

import eventlet
import pytest
from kombu import Connection, Queue, binding
from nameko.rpc import get_rpc_exchange
from nameko.standalone.events import get_event_exchange

from services.registration.domain.identity import validate_resident_id
from tests.e2e.helpers import open_competition, person, wait_for
from tests.e2e.scoring_fixtures import marked_competition
from tests.e2e.test_full_chain import mark_and_finalise

FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[0-9Xx](?![0-9A-Za-z])")
MASKED_ID = re.compile(r"\d{6}\*{8}\d{3}[0-9Xx]")
BIRTH_KEY = re.compile(r'"[^"]*(birth|dob)[^"]*"\s*:\s*"[^"]+"', re.IGNORECASE)
REGISTRATION_PATH = re.compile(r"^/competitions(/[^/]+(/(contestants|judges|conflicts|organisers|open|close)(/.*)?)?)?$")
# registration's answers to the competition's owners carry the masked ID with the birth date (by design)
OWNER_REGISTRATION_CALLS = {"registration.register_contestant", "registration.import_contestants",
                            "registration.list_contestants", "registration.withdraw_contestant"}
ROSTER_UPLOADS = {"registration.register_contestant", "registration.import_contestants"}


def birth_spellings(born: date) -> list[str]:
    return [born.isoformat(), born.strftime("%Y%m%d"), born.strftime("%Y/%m/%d"),
            f"{born.year}年{born.month}月{born.day}日"]


def leaks(text: str, people: list[dict]) -> list[str]:
    """What in ``text`` is, or rebuilds, a resident ID number of one of ``people`` (or of anyone)."""
    found = [f"ID number {m}" for m in FULL_ID.findall(text) if not validate_resident_id(m, today=date.today())]
    for p in people:
        number = p["id_number"]
        for piece, what in ((number[:14], "region + birth date"), (number[6:], "birth date + sequence")):
            if piece in text:
                found.append(f"{what} of {p['name']}")
        if p["masked_id"] in text and any(b in text for b in birth_spellings(p["born"])):
            found.append(f"masked ID with the birth date of {p['name']}")
    if MASKED_ID.search(text) and BIRTH_KEY.search(text):
        found.append("a masked ID next to a birth date")
    if BIRTH_KEY.search(text):
        found.append("a birth date")
    return found


def attachments(value) -> list[str]:
    """The text inside base64 exports (CSV, or the XML parts of an XLSX workbook)."""
    texts = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "content_b64" and isinstance(item, str):
                texts.append(unpack(base64.b64decode(item)))
            else:
                texts += attachments(item)
    elif isinstance(value, list):
        for item in value:
            texts += attachments(item)
    return texts


def unpack(content: bytes) -> str:
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(book.read(n).decode("utf-8", "replace") for n in book.namelist())
    return content.decode("utf-8", "replace")


def readable(body) -> str:
    """The message as JSON text with Chinese and every other character unescaped, as a reader would see it."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    value = parsed(text) if isinstance(text, str) else text
    return text if value is None else json.dumps(value, ensure_ascii=False)


def parsed(body: str):
    try:
        return json.loads(body)
    except ValueError:
        return None


def owner_registration_call(request: dict, replied: bool) -> bool:
    """A roster an organiser uploads to registration, or registration's answer to an organiser or admin.

    Registration itself refuses organisers of other competitions, so the role is enough here.
    """
    args = (parsed(request["body"]) or {}).get("args") or [{}]
    by_owner_role = isinstance(args[0], dict) and args[0].get("role") in ("organiser", "admin")
    calls = OWNER_REGISTRATION_CALLS if replied else ROSTER_UPLOADS
    return by_owner_role and request["routing_key"] in calls


class BusTap:
    """Every message on the services' event exchanges and the RPC exchange, from now on."""

    def __init__(self, amqp_uri: str, config: dict):
        exchanges = [get_event_exchange(s, config) for s in ("registration", "scoring", "awards", "gateway")]
        exchanges.append(get_rpc_exchange(config))
        self.connection = Connection(amqp_uri)
        channel = self.connection.channel()
        for exchange in exchanges:
            exchange(channel).declare()
        self.queue = Queue(f"privacy-tap-{uuid.uuid4().hex[:8]}", bindings=[binding(e, routing_key="#") for e in exchanges],
                           exclusive=True)(channel)
        self.queue.declare()
        self.messages: list[dict] = []
        self.reading = True
        self.reader = eventlet.spawn(self._read)

    def _read(self) -> None:
        """Read as messages come: an RPC request expires in every queue, this one too, after the RPC timeout."""
        while self.reading:
            if not self._take_waiting():
                eventlet.sleep(0.1)

    def _take_waiting(self) -> int:
        taken = 0
        while (message := self.queue.get(no_ack=True)) is not None:
            self.messages.append({"exchange": message.delivery_info.get("exchange"),
                                  "routing_key": message.delivery_info.get("routing_key"),
                                  "correlation_id": message.properties.get("correlation_id"),
                                  "reply_to": message.properties.get("reply_to"),
                                  "body": readable(message.body)})
            taken += 1
        return taken

    def drain(self) -> list[dict]:
        self.reading = False
        self.reader.wait()
        self._take_waiting()
        return self.messages

    def close(self):
        self.reading = False
        self.reader.wait()
        self.connection.release()


@pytest.fixture
def http_log(monkeypatch, admin_api):
    """Every HTTP exchange the test makes: (caller, method, path, response)."""
    log = []
    api_class = type(admin_api)
    original = api_class.request

    def request(self, method, path, token=None, **kwargs):
        reply = original(self, method, path, token=token, **kwargs)
        log.append((self, method, path.split("?")[0], reply))
        return reply

    monkeypatch.setattr(api_class, "request", request)
    return log


def known_person(reply: dict, id_number: str) -> dict:
    return {"name": reply["name"], "masked_id": reply["masked_id"], "id_number": id_number,
            "born": date.fromisoformat(reply["date_of_birth"])}


def roster_csv(people: list[dict]) -> str:
    lines = ["name,gender,date of birth,id number,employer,delegation,delegation kind,skill level,employment,team"]
    lines += [f"{p['name']},female,{p['date_of_birth']},{p['id_number']},{p['employer']},闵行区,district,4,employee,"
              for p in people]
    return "\n".join(lines) + "\n"


def season(admin_api, make_user) -> tuple[list[dict], set]:
    """A whole season with every role reading what it may; the people registered, and the owners' Api objects."""
    owner = make_user("organiser")
    committee = make_user("committee")
    c = marked_competition(owner, make_user, contestants=4)
    listed = owner.get(f"/competitions/{c['code']}/contestants").json()["items"]
    # marked_competition registers helpers.person(): rebuild each number from what the owner may read
    people = [known_person(p, p["masked_id"][:6] + p["date_of_birth"].replace("-", "") + p["masked_id"][-4:])
              for p in listed]
    second = open_competition(owner)["code"]
    uploads = [person(f"导入{i}", birth=date(1990 + i, 2, 10 + i), employer=f"导入单位{i}") for i in range(3)]
    reply = owner.post(f"/competitions/{second}/contestants/import", data=roster_csv(uploads).encode(),
                       headers={"Content-Type": "text/csv"})
    assert reply.status_code == 201, reply.text
    people += [known_person(r, u["id_number"]) for r, u in zip(reply.json()["contestants"], uploads)]

    for reader in (*c["judges"], c["chief"], committee):
        assert reader.get(f"/competitions/{c['code']}/contestants").status_code == 200
    assert c["chief"].get(f"/competitions/{c['code']}/results").status_code == 200
    mark_and_finalise(c)
    for reader in (owner, c["judges"][0], c["chief"], committee):
        for fmt in ("json", "csv", "xlsx"):
            assert reader.get(f"/competitions/{c['code']}/results?format={fmt}").status_code == 200
    for reader in (owner, c["chief"]):
        assert reader.get(f"/competitions/{c['code']}/audit").status_code == 200

    person_key = listed[0]["person_key"]
    record = wait_for(lambda: committee.get(f"/people/{person_key}/record"),
                      lambda r: r.status_code == 200 and r.json().get("achievements"))
    assert record.status_code == 200 and record.json()["masked_id"] == listed[0]["masked_id"]
    assert "masked_id" not in json.dumps(owner.get(f"/people/{person_key}/record").json())
    opened = committee.post("/nominee-rounds", json={"programme": "outstanding_technical_expert",
                                                     "year": date.today().year, "quota": 3})
    assert opened.status_code == 201, opened.text
    round_id = opened.json()["round_id"]
    nominated = owner.post(f"/nominee-rounds/{round_id}/nominations", json={"person_key": person_key,
                                                                          "channel": "employer"})
    assert nominated.status_code == 201, nominated.text
    for fmt in ("json", "csv", "xlsx"):
        assert committee.get(f"/nominee-rounds/{round_id}/nominees?format={fmt}").status_code == 200
    assert committee.get(f"/nominee-rounds/{round_id}/suggestions").status_code == 200
    return people, {id(owner), id(admin_api)}


def test_no_id_number_nor_its_pieces_on_the_bus_or_in_other_answers(amqp_uri, test_config, admin_api, make_user,
                                                                   http_log):
    tap = BusTap(amqp_uri, test_config)
    try:
        people, owners = season(admin_api, make_user)
        wait_for(lambda: None, lambda _: False, seconds=1.0)  # the last events reach the exchanges
        messages = tap.drain()
    finally:
        tap.close()

    requests = {m["correlation_id"]: m for m in messages if m["exchange"] == "nameko-rpc" and m["reply_to"]}
    found, exempt_with_pieces = [], 0
    for m in messages:
        request = m if m["reply_to"] else requests.get(m["correlation_id"])
        method = request["routing_key"] if request else m["routing_key"]
        if m["exchange"] == "nameko-rpc" and request and owner_registration_call(request, replied=m is not request):
            exempt_with_pieces += bool(leaks(m["body"], people))
            continue
        for text in [m["body"], *attachments(parsed(m["body"]))]:
            found += [f"{m['exchange']} {m['routing_key']} ({method}): {leak}" for leak in leaks(text, people)]

    for caller, method, path, reply in http_log:
        if id(caller) in owners and REGISTRATION_PATH.match(path):
            continue
        body = reply.content
        text = unpack(body) if body[:2] == b"PK" else body.decode("utf-8", "replace")
        found += [f"HTTP {method} {path} -> {reply.status_code}: {leak}" for leak in leaks(text, people)]

    events = {m["routing_key"] for m in messages if m["exchange"] != "nameko-rpc"}
    assert {"contestant_registered", "conflicts_updated", "results_published", "honour_granted",
            "nomination_decided"} <= events, events
    assert any(m["routing_key"] == "registration.roster_snapshot" for m in messages)
    assert exempt_with_pieces, "the owners' registration traffic carries masked IDs with birth dates: the detector must see them"
    assert not found, "\n".join(sorted(set(found)))
