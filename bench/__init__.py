"""Benchmarks (`make bench`); each prints its own figures."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


@contextlib.contextmanager
def database_uri():
    """``MONGODB_URI`` when set, else a local server (``shared.localdb``) on a throw-away data folder."""
    external = os.environ.get("MONGODB_URI", "").strip()
    if external:
        yield external
        return
    from shared.localdb import running

    with tempfile.TemporaryDirectory(prefix="bench-data-") as folder, running(Path(folder)) as uri:
        yield uri
