"""RPC calls that expire: a request the caller has given up on is not executed later.

The gateway waits ``RPC_TIMEOUT_SECONDS`` for an answer and then tells the client 503. Without a
time to live the request would stay queued (a service frozen or restarting) and run when the
service comes back, so a client told 503 would find its request applied after all. The broker
drops a request still queued after the timeout. One already handed to the service (at most its
prefetch, ``max_workers``) may still run: a client retries with the same ``request_id``.
"""
from __future__ import annotations

from nameko.rpc import RpcProxy, ServiceProxy

DEFAULT_TIMEOUT_SECONDS = 10.0


def rpc_timeout(config: dict) -> float:
    return float(config.get("RPC_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)


class ExpiringRpcProxy(RpcProxy):
    """``RpcProxy`` whose request messages expire after the configured RPC timeout."""

    def get_dependency(self, worker_ctx):
        return ServiceProxy(worker_ctx, self.target_service, self.rpc_reply_listener,
                            **{"expiration": rpc_timeout(self.container.config), **self.options})
