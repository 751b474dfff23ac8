"""Hostile files and values over HTTP: each is a client error naming what is wrong, never a 5xx.

Also: a fault is a 500 with a correlation id (a backend that is not there is the only 503), every
path under the server answers in the envelope, chunked bodies are read, and an import being parsed
does not stop the services answering others.
"""
import csv
import io
import json
import logging
import zipfile

import eventlet
import pytest
import requests
from nameko.runners import ServiceRunner
from openpyxl import Workbook, load_workbook

from tests.conftest import free_port, private_vhost
from tests.e2e.awards_fixtures import key, profile
from tests.e2e.helpers import assert_error, competition_payload, open_competition, person
from tests.unit.shared.parse_hold import HeldParse

FORMULA = '=HYPERLINK("http://x","click")'


def detail_paths(error: dict) -> set[str]:
    return {d["path"] for d in error["details"]}


# ------------------------------------------------------------------------- JSON values


@pytest.mark.parametrize("name, problem", [("张\x01三", "U+0001"), ("a\x7fb", "U+007F"), ("\x1b[31m", "U+001B")])
def test_control_characters_in_names_are_refused_naming_the_field(organiser_api, name, problem):
    code = open_competition(organiser_api)["code"]
    error = assert_error(organiser_api.post(f"/competitions/{code}/contestants", json=person(name=name)),
                         422, "VALIDATION_FAILED")
    assert error["details"][0]["path"] == "/name" and problem in error["details"][0]["problem"]
    assert organiser_api.get(f"/competitions/{code}/contestants").json()["items"] == []


def test_control_characters_are_refused_in_every_json_body(organiser_api, admin_api):
    error = assert_error(organiser_api.post("/competitions", json=competition_payload(name="焊工\x00")), 422,
                         "VALIDATION_FAILED")
    assert detail_paths(error) == {"/name"}
    error = assert_error(organiser_api.post("/people", json=profile(key(), employer="上海\x08电气")), 422,
                         "VALIDATION_FAILED")
    assert detail_paths(error) == {"/employer"}
    error = assert_error(admin_api.post("/users", json={"username": "ctl-user", "password": "long-enough-pw",
                                                        "role": "judge", "name": "x\x0cy"}), 422, "VALIDATION_FAILED")
    assert detail_paths(error) == {"/name"}


def test_a_lone_surrogate_is_refused_naming_the_field(organiser_api):
    code = open_competition(organiser_api)["code"]
    body = json.dumps(person(), ensure_ascii=False).replace('"张三"', '"\\ud800张三"')
    reply = organiser_api.post(f"/competitions/{code}/contestants", data=body.encode(),
                               headers={"Content-Type": "application/json"})
    error = assert_error(reply, 422, "VALIDATION_FAILED")
    assert error["details"][0]["path"] == "/name" and "surrogate" in error["details"][0]["problem"]


def test_deep_nesting_is_a_client_error(organiser_api):
    reply = organiser_api.post("/competitions", data=b"[" * 100_000 + b"]" * 100_000,
                               headers={"Content-Type": "application/json"})
    assert "nested" in assert_error(reply, 400, "MALFORMED_REQUEST")["message"]
    nested = b'{"name": ' + b'{"a": ' * 40 + b"1" + b"}" * 40 + b"}"
    error = assert_error(organiser_api.post("/competitions", data=nested, headers={"Content-Type": "application/json"}),
                         400, "MALFORMED_REQUEST")
    assert error["details"][0]["path"].startswith("/name/a/a")


def test_huge_integers_are_refused_naming_the_field(organiser_api):
    body = json.dumps(competition_payload()).replace('"capacity": 50',
                                                                            '"capacity": ' + "9" * 5000)
    error = assert_error(organiser_api.post("/competitions", data=body.encode(), headers={"Content-Type": "application/json"}),
                         422, "VALIDATION_FAILED")
    assert detail_paths(error) == {"/capacity"} and "5000 digits" in error["details"][0]["problem"]
    body = body.replace("9" * 5000, str(2 ** 64))
    error = assert_error(organiser_api.post("/competitions", data=body.encode(), headers={"Content-Type": "application/json"}),
                         422, "VALIDATION_FAILED")
    assert detail_paths(error) == {"/capacity"}


def test_nan_and_infinity_are_refused(organiser_api):
    body = json.dumps(competition_payload()).replace('"capacity": 50', '"capacity": NaN')
    error = assert_error(organiser_api.post("/competitions", data=body.encode(), headers={"Content-Type": "application/json"}),
                         422, "VALIDATION_FAILED")
    assert detail_paths(error) == {"/capacity"}


@pytest.mark.parametrize("field, value", [("capacity", 5.0), ("skill_level", 2.0), ("team_size", 1.0)])
def test_integer_fields_refuse_decimals_that_look_whole(organiser_api, field, value):
    error = assert_error(organiser_api.post("/competitions", json=competition_payload(**{field: value})), 422,
                         "VALIDATION_FAILED")
    assert f"/{field}" in detail_paths(error)


def test_integer_fields_in_profiles_refuse_five_point_zero(organiser_api):
    error = assert_error(organiser_api.post("/people", json=profile(key(), years_of_service=5.0)), 422,
                         "VALIDATION_FAILED")
    assert detail_paths(error) == {"/years_of_service"}


# ------------------------------------------------------------------------ query values


@pytest.mark.parametrize("path, query, name", [
    ("/competitions/{code}/audit", "limit=abc", "limit"),
    ("/competitions/{code}/audit", "limit=0", "limit"),
    ("/competitions/{code}/audit", "limit=" + "9" * 5000, "limit"),
    ("/honours-policy", "version=abc", "version"),
    ("/honours-policy", "version=99999999999999999999999", "version"),
    ("/competitions", "status=sideways", "status"),
    ("/competitions/{code}/results", "format=doc", "format"),
    ("/competitions/{code}/contestants", "include_withdrawn=%01", "include_withdrawn"),
])
def test_query_parameters_are_validated_naming_the_parameter(admin_api, organiser_api, path, query, name):
    code = open_competition(organiser_api)["code"]
    reply = admin_api.get(path.format(code=code) + "?" + query)
    error = assert_error(reply, 422, "VALIDATION_FAILED")
    assert detail_paths(error) == {f"/query/{name}"}


def test_unknown_and_repeated_query_parameters_are_refused(admin_api):
    error = assert_error(admin_api.get("/competitions?stauts=open"), 422, "VALIDATION_FAILED")
    assert detail_paths(error) == {"/query/stauts"} and "status" in error["details"][0]["problem"]
    error = assert_error(admin_api.get("/competitions?status=open&status=draft"), 422, "VALIDATION_FAILED")
    assert error["details"] == [{"path": "/query/status", "problem": "given more than once"}]


# ------------------------------------------------------------------- paths and methods


@pytest.mark.parametrize("raw_path", ["/api/v1/competitions/%0A", "/api/v1/%0A", "/no-such-page", "/favicon.ico",
                                      "/api/v2/competitions", "/api/v1/competitions/%0D%0Ax"])
def test_every_path_under_the_server_answers_in_the_envelope(platform, raw_path):
    root = platform.rsplit("/api/v1", 1)[0]
    reply = requests.get(root + raw_path, timeout=10)
    assert reply.headers["Content-Type"].startswith("application/json"), reply.text
    assert reply.status_code in (401, 404), reply.text
    assert set(reply.json()["error"]) == {"code", "message", "details"}


def test_method_not_allowed_carries_allow(anonymous_api, platform):
    reply = anonymous_api.request("DELETE", "/auth/tokens")
    assert_error(reply, 405, "METHOD_NOT_ALLOWED")
    assert reply.headers["Allow"] == "POST"
    reply = anonymous_api.request("OPTIONS", "/openapi.json")
    assert_error(reply, 405, "METHOD_NOT_ALLOWED")
    assert set(reply.headers["Allow"].split(", ")) == {"GET", "HEAD"}
    reply = requests.request("TRACE", platform + "/health", timeout=10)
    assert_error(reply, 405, "METHOD_NOT_ALLOWED")
    assert "GET" in reply.headers["Allow"]


# --------------------------------------------------------------------------- bodies


def chunks(data: bytes, size: int = 1000):
    for start in range(0, len(data), size):
        yield data[start:start + size]


def test_a_chunked_body_is_read(organiser_api):
    payload = competition_payload()
    body = json.dumps(payload).encode()
    reply = organiser_api.post("/competitions", data=chunks(body), headers={"Content-Type": "application/json"})
    assert reply.request.headers.get("Transfer-Encoding") == "chunked" and "Content-Length" not in reply.request.headers
    assert reply.status_code == 201, reply.text
    assert reply.json()["code"] == payload["code"]


def test_a_chunked_body_over_the_cap_is_refused(organiser_api):
    from services.gateway.http import MAX_BODY_BYTES

    too_big = (b"x" * (1024 * 1024) for _ in range(MAX_BODY_BYTES // (1024 * 1024) + 2))
    try:
        reply = organiser_api.post("/competitions", data=too_big, headers={"Content-Type": "application/json"})
    except requests.ConnectionError:
        return  # the server may close the connection while the client still sends: also a refusal
    assert_error(reply, 413, "PAYLOAD_TOO_LARGE")


# ------------------------------------------------------------------ files and exports


def bomb_workbook(inflated_mb: int = 80) -> bytes:
    """A real roster workbook whose sheet inflates to ``inflated_mb`` MB (about 1000 to 1)."""
    book = Workbook()
    book.active.append(["姓名", "性别", "出生日期", "身份证号"])
    plain = io.BytesIO()
    book.save(plain)
    source = zipfile.ZipFile(plain)
    row = b'<row r="2"></row>'
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             + row * (inflated_mb * 1024 * 1024 // len(row)) + b"</sheetData></worksheet>")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for item in source.infolist():
            data = sheet if item.filename == "xl/worksheets/sheet1.xml" else source.read(item.filename)
            target.writestr(item.filename, data)
    return out.getvalue()


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_zip_bomb_imports_are_refused_with_413_by_every_importer(organiser_api):
    bomb = bomb_workbook()
    assert len(bomb) < 400_000
    code = open_competition(organiser_api)["code"]
    for path in (f"/competitions/{code}/contestants/import", "/people/import"):
        error = assert_error(organiser_api.post(path, data=bomb, headers={"Content-Type": XLSX}), 413,
                             "PAYLOAD_TOO_LARGE")
        assert "xl/worksheets/sheet1.xml" in error["message"], path
    draft = organiser_api.post("/competitions", json=competition_payload()).json()["code"]
    error = assert_error(organiser_api.put(f"/competitions/{draft}/marking-scheme", data=bomb,
                                           headers={"Content-Type": XLSX}), 413, "PAYLOAD_TOO_LARGE")
    assert "bytes per part" in error["message"]
    assert organiser_api.get("/health").status_code == 200


def test_control_characters_in_an_imported_roster_are_refused_naming_the_cell(organiser_api):
    code = open_competition(organiser_api)["code"]
    roster = "姓名,性别,出生日期,身份证号\n张\x01三,男,2000-05-03,110101200005030011\n"
    error = assert_error(organiser_api.post(f"/competitions/{code}/contestants/import", data=roster.encode(),
                                            headers={"Content-Type": "text/csv"}), 422, "VALIDATION_FAILED")
    assert detail_paths(error) == {"csv!A2"}


def test_an_import_being_parsed_does_not_stop_the_service_answering(organiser_api, monkeypatch):
    """While registration parses a roster (held mid-parse), registration answers another call."""
    hold = HeldParse(monkeypatch)
    code = open_competition(organiser_api)["code"]
    book = Workbook()
    book.active.append(["姓名", "性别", "出生日期", "身份证号"])
    book.active.append(["张三", "男", "2000-05-03", person()["id_number"]])
    data = io.BytesIO()
    book.save(data)
    upload = eventlet.spawn(organiser_api.post, f"/competitions/{code}/contestants/import", data=data.getvalue(),
                            headers={"Content-Type": XLSX})
    hold.wait_until_parsing()
    other = organiser_api.get(f"/competitions/{code}")
    hold.release(f"other answered {other.status_code}")
    assert upload.wait().status_code == 201
    assert hold.order == ["other answered 200", "parse finished"]


def exported_names(reply) -> list[str]:
    return [row[2] for row in csv.reader(io.StringIO(reply.content.decode("utf-8-sig")))][1:]


def test_hostile_names_are_neutralised_in_the_results_exports(organiser_api, make_user):
    from tests.e2e.scoring_fixtures import marked_competition

    c = marked_competition(organiser_api, make_user, contestants=2, names=[FORMULA, "@cmd"])
    exported = organiser_api.get(f"/competitions/{c['code']}/results", params={"format": "csv"})
    assert exported.status_code == 200, exported.text
    assert sorted(exported_names(exported)) == sorted(["'" + FORMULA, "'@cmd"])
    workbook = organiser_api.get(f"/competitions/{c['code']}/results", params={"format": "xlsx"})
    cells = [row[2] for row in load_workbook(io.BytesIO(workbook.content)).active.iter_rows(min_row=2)]
    assert {cell.value for cell in cells} == {FORMULA, "@cmd"} and {cell.data_type for cell in cells} == {"s"}


def test_hostile_names_are_neutralised_in_the_nominee_exports(organiser_api, make_user):
    committee = make_user("committee")
    person_key = key()
    assert organiser_api.post("/people", json=profile(person_key, name=FORMULA, employer="-2+3")).status_code == 201
    opened = committee.post("/nominee-rounds", json={"programme": "shanghai_craftsman", "year": 2025, "quota": 2})
    assert opened.status_code == 201, opened.text
    rid = opened.json()["round_id"]
    nominated = organiser_api.post(f"/nominee-rounds/{rid}/nominations",
                                   json={"person_key": person_key, "channel": "employer", "nominator": "+单位"})
    assert nominated.status_code == 201, nominated.text
    exported = committee.get(f"/nominee-rounds/{rid}/nominees?format=csv")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0]["姓名"] == "'" + FORMULA and rows[0]["工作单位"] == "'-2+3"
    sheet = load_workbook(io.BytesIO(committee.get(f"/nominee-rounds/{rid}/nominees?format=xlsx").content)).active
    cells = {h.value: c for h, c in zip(sheet[1], sheet[2])}
    assert cells["姓名"].value == FORMULA and cells["姓名"].data_type == "s"


# ------------------------------------------------------------------- faults and outages


def test_a_backend_fault_is_a_500_with_a_correlation_id_in_body_and_log(admin_api, monkeypatch, caplog):
    from services.registration.service import RegistrationService

    def broken(self, actor, filters=None):
        raise KeyError("a bug")

    monkeypatch.setattr(RegistrationService, "list_competitions", broken)
    with caplog.at_level(logging.ERROR, logger="services.gateway.http"):
        reply = admin_api.get("/competitions")
    error = assert_error(reply, 500, "INTERNAL_ERROR")
    assert "Retry-After" not in reply.headers
    correlation_id = error["correlation_id"]
    assert correlation_id in error["message"] and reply.headers["X-Correlation-Id"] == correlation_id
    assert any(correlation_id in r.getMessage() and "KeyError" in r.getMessage() for r in caplog.records)


def test_a_gateway_fault_is_a_500_with_a_correlation_id(anonymous_api, monkeypatch, caplog):
    from services.gateway import openapi

    def broken():
        raise RuntimeError("a bug in the gateway")

    monkeypatch.setattr(openapi, "openapi_document", broken)
    with caplog.at_level(logging.ERROR, logger="services.gateway.http"):
        reply = anonymous_api.get("/openapi.json")
    error = assert_error(reply, 500, "INTERNAL_ERROR")
    assert any(error["correlation_id"] in r.getMessage() and r.exc_info for r in caplog.records)


def test_a_backend_that_is_not_running_is_a_503_with_retry_after(test_config, databases, admin_api):
    """A gateway alone on a broker of its own: registration has no queue there."""
    from services.__main__ import service_class

    with private_vhost() as amqp_uri:
        port = free_port()
        runner = ServiceRunner({**test_config, "AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"})
        runner.add_service(service_class("gateway"))
        runner.start()
        try:
            reply = requests.get(f"http://127.0.0.1:{port}/api/v1/competitions",
                                 headers={"Authorization": f"Bearer {admin_api.token}"}, timeout=30)
        finally:
            runner.stop()
    assert_error(reply, 503, "UNAVAILABLE")
    assert reply.headers["Retry-After"].isdigit()



def test_integer_fields_of_the_honours_policy_refuse_five_point_zero(make_user):
    committee = make_user("committee")
    document = committee.get("/honours-policy").json()["document"]
    document["workflow"]["notice_days_min"] = float(document["workflow"]["notice_days_min"])
    error = assert_error(committee.put("/honours-policy", json=document), 422, "VALIDATION_FAILED")
    assert [d["path"] for d in error["details"]] == ["/workflow/notice_days_min"]
