"""Start the platform: ``python -m services [NAME ...]``.

With RabbitMQ reachable at ``AMQP_URI`` each service runs in its own process; with no broker
reachable (or ``EMBEDDED=1``) all services run in this process over an in-memory broker.
With ``MONGODB_URI`` empty this process first starts the local MongoDB-compatible server on the data
folder (``DATA_DIR``, default ``var/``) and gives its URI to every service; it stops with the system.
``python -m services --one NAME`` runs a single service (what each child process does).
"""
from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import logging.config  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

from nameko.runners import ServiceRunner  # noqa: E402

from shared.config import load_config  # noqa: E402
from shared.datadir import data_dir  # noqa: E402
from shared.db import needs_local_server  # noqa: E402
from shared.localdb import LocalDatabase, LocalDatabaseError, database_file  # noqa: E402
from shared.runtime import (  # noqa: E402
    EMBEDDED_AMQP_URI,
    Supervisor,
    broker_reachable,
    patch_memory_transport,
    run_until_stopped,
)
from shared.secrets import SecretProblem, preflight  # noqa: E402

SERVICE_NAMES = ("registration", "scoring", "awards", "gateway")
log = logging.getLogger("services")


def service_class(name: str):
    module = __import__(f"services.{name}.service", fromlist=["service"])
    return module.SERVICE


def run_in_this_process(names: tuple[str, ...], config: dict) -> int:
    runner = ServiceRunner(config)
    for name in names:
        runner.add_service(service_class(name))
    log.info("running %s; gateway on http://%s/api/v1/", ", ".join(names), config.get("WEB_SERVER_ADDRESS"))
    return run_until_stopped(runner)


def run_each_in_own_process(names: tuple[str, ...], config: dict, database: LocalDatabase | None) -> int:
    env = {**os.environ, "MONGODB_URI": config["MONGODB_URI"]}
    commands = {name: [sys.executable, "-m", "services", "--one", name] for name in names}

    def database_alive() -> bool:
        if database is None or database.alive():
            return True
        log.critical("the local database server ended; stopping the services")
        return False

    return Supervisor(commands, env).run(database_alive)


def announce(config: dict, embedded: bool) -> None:
    if embedded:
        log.warning("no RabbitMQ reachable at AMQP_URI: running all services in one process "
                    "over an in-memory broker (embedded default)")
    else:
        log.info("RabbitMQ reachable: each service runs in its own process")


def start_local_database(config: dict) -> LocalDatabase | None:
    """With ``MONGODB_URI`` empty: start the local server and point ``config`` at it."""
    if not needs_local_server(config):
        return None
    folder = data_dir()
    database = LocalDatabase(folder)
    config["MONGODB_URI"] = database.start()
    log.info("MONGODB_URI not set: data is kept in %s (local MongoDB-compatible server at %s, for trying "
             "the system and small events; set MONGODB_URI to use MongoDB). Back it up while running with "
             "`make backup` (python -m shared.localdb --backup FOLDER), or copy the folder while stopped",
             database_file(folder), config["MONGODB_URI"])
    return database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services", description=__doc__)
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"services to run (default: all of {', '.join(SERVICE_NAMES)})")
    parser.add_argument("--one", choices=SERVICE_NAMES, help="run this one service in this process")
    args = parser.parse_args(argv)
    names = (args.one,) if args.one else tuple(args.names or SERVICE_NAMES)
    unknown = sorted(set(names) - set(SERVICE_NAMES))
    if unknown:
        parser.error(f"unknown service(s): {', '.join(unknown)}")
    config = load_config(names)
    logging.config.dictConfig(config["LOGGING"])
    if args.one and needs_local_server(config):
        parser.error("MONGODB_URI is empty: run `python -m services` (it starts the local database "
                     "server) or set MONGODB_URI")
    try:
        return start(names, config, one=bool(args.one))
    except SecretProblem as problem:
        log.error("refusing to start:\n%s", problem)
        return 2


def start(names: tuple[str, ...], config: dict, one: bool) -> int:
    """Check the services' secrets first (generated once for a local run), then run them."""
    preflight(*(service_class(name) for name in names), config=config)
    if one:
        return run_in_this_process(names, config)
    embedded = os.environ.get("EMBEDDED") == "1" or not broker_reachable(config["AMQP_URI"])
    announce(config, embedded)
    try:
        database = start_local_database(config)
    except LocalDatabaseError as exc:
        log.error("%s", exc)
        return 1
    try:
        if not embedded:
            return run_each_in_own_process(names, config, database)
        patch_memory_transport()
        config["AMQP_URI"] = EMBEDDED_AMQP_URI
        return run_in_this_process(names, config)
    finally:
        if database:
            database.stop()


if __name__ == "__main__":
    sys.exit(main())
