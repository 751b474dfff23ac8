"""Configuration values from the environment are taken as they are, whatever characters they hold."""
import pytest

from shared.config import load_config, parse

SERVICES = ("registration", "scoring", "awards", "gateway")
ODD_SECRETS = [
    pytest.param(r"back\slash\n\t\\", id="backslashes"),
    pytest.param('a "quoted" secret', id="double-quote"),
    pytest.param("it's", id="single-quote"),
    pytest.param('"', id="lone-double-quote"),
    pytest.param("x\nADMIN_PASSWORD: injected", id="newline-injects-key"),
    pytest.param("x\", ADMIN_PASSWORD: \"injected", id="quote-injects-key"),
    pytest.param("{a: 1}", id="flow-mapping"),
    pytest.param("- item", id="sequence"),
    pytest.param("#not a comment", id="hash"),
    pytest.param("${ADMIN_PASSWORD}", id="variable-in-value"),
    pytest.param("  padded  ", id="spaces"),
    pytest.param("上海工匠", id="unicode"),
    pytest.param("yes", id="yaml11-bool-word"),
    pytest.param("0123", id="leading-zero"),
]


@pytest.mark.parametrize("secret", ODD_SECRETS)
def test_a_secret_is_taken_exactly_as_given(secret):
    config = load_config(SERVICES, {"TOKEN_SECRET": secret, "ADMIN_PASSWORD": "real-password"})
    assert config["TOKEN_SECRET"] == secret
    assert config["ADMIN_PASSWORD"] == "real-password"


@pytest.mark.parametrize("secret", ODD_SECRETS)
def test_an_odd_value_adds_no_key(secret):
    plain = load_config(SERVICES, {})
    assert set(load_config(SERVICES, {"TOKEN_SECRET": secret, "AMQP_URI": secret})) == set(plain)


def test_unset_or_empty_takes_the_default():
    assert parse('a: "${X:fallback}"', {}) == {"a": "fallback"}
    assert parse('a: "${X:fallback}"', {"X": ""}) == {"a": "fallback"}
    assert parse('a: "${X}"', {}) == {"a": ""}


def test_a_default_may_hold_colons():
    assert parse('uri: "${AMQP_URI:pyamqp://guest:guest@localhost:5672/}"', {}) == {
        "uri": "pyamqp://guest:guest@localhost:5672/"}


def test_unquoted_numbers_become_numbers_quoted_stay_strings():
    text = "workers: ${W:20}\nratio: ${R:0.5}\nport: \"${P:8000}\"\nflag: ${F:false}\n"
    assert parse(text, {}) == {"workers": 20, "ratio": 0.5, "port": "8000", "flag": False}
    assert parse(text, {"W": "7", "P": "9000"})["workers"] == 7


def test_an_unquoted_value_never_becomes_a_list_or_mapping():
    assert parse("workers: ${W:20}", {"W": "[1, 2]"}) == {"workers": "[1, 2]"}
    assert parse("workers: ${W:20}", {"W": "a: b"}) == {"workers": "a: b"}


def test_several_variables_in_one_value():
    assert parse('address: "${H:0.0.0.0}:${P:8000}"', {"P": "81"}) == {"address": "0.0.0.0:81"}


def test_the_shared_yaml_loader_is_left_alone():
    import yaml

    assert yaml.safe_load("a: ${X:1}") == {"a": "${X:1}"}
