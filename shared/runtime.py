"""How a process runs services: against RabbitMQ, or embedded on kombu's in-memory transport."""
from __future__ import annotations

import socket
from urllib.parse import urlparse

EMBEDDED_AMQP_URI = "memory://"


def broker_reachable(uri: str, timeout: float = 1.0) -> bool:
    """Whether a TCP connection to the broker in ``uri`` opens (no login attempted)."""
    parsed = urlparse(uri)
    if not parsed.scheme.startswith(("amqp", "pyamqp", "amqps")):
        return False
    try:
        with socket.create_connection((parsed.hostname or "localhost", parsed.port or 5672), timeout=timeout):
            return True
    except OSError:
        return False


def patch_memory_transport() -> None:
    """Make nameko RPC work over kombu's ``memory://`` transport (all services in one process).

    Two gaps: nameko's RPC responder reads ``message.properties['content_type']``, which the virtual
    transport keeps only in headers; and the transport polls its queues every 1.0 s, far too slow for
    request/response.
    """
    from kombu.transport import memory, virtual

    if getattr(virtual.Channel, "_skills_patched", False):
        return
    prepare = virtual.Channel.prepare_message

    def prepare_message(self, body, priority=None, content_type=None, content_encoding=None,
                        headers=None, properties=None):
        message = prepare(self, body, priority, content_type, content_encoding, headers, properties)
        message["properties"].setdefault("content_type", content_type)
        return message

    virtual.Channel.prepare_message = prepare_message
    virtual.Channel._skills_patched = True
    memory.Transport.polling_interval = 0.001
