"""What crosses RPC lets the gateway tell a backend that is down (503) from one that is broken (500)."""
import pytest
from pymongo.errors import AutoReconnect, ServerSelectionTimeoutError

from shared.entrypoints import rpc
from shared.errors import ServiceError


class Backend:
    @rpc
    def lookup(self, failure: Exception):
        raise failure


@pytest.mark.parametrize("failure", [ServerSelectionTimeoutError("no servers"), AutoReconnect("connection lost")])
def test_a_database_that_does_not_answer_is_unavailable(failure):
    with pytest.raises(ServiceError) as caught:
        Backend().lookup(failure)
    assert caught.value.code == "UNAVAILABLE" and caught.value.status == 503


def test_a_bug_stays_a_bug_and_a_refusal_stays_a_refusal():
    with pytest.raises(KeyError):
        Backend().lookup(KeyError("a bug"))
    with pytest.raises(ServiceError) as caught:
        Backend().lookup(ServiceError("NOT_FOUND", "no such thing"))
    assert caught.value.code == "NOT_FOUND"
