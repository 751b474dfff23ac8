"""Where a local run keeps what must survive a restart: the database files and generated secrets.

``DATA_DIR`` names the folder; by default it is ``var/`` in the checkout (git-ignored). Production
deployments point it at a volume or do not use it at all (MongoDB at ``MONGODB_URI``, secrets from
the environment).
"""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def data_dir(environ: dict | None = None) -> Path:
    """The data folder, created (owner-only) on first use."""
    env = os.environ if environ is None else environ
    folder = Path(env.get("DATA_DIR") or ROOT / "var").expanduser().resolve()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder
