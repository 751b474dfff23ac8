"""The eligibility policy as a file: read once, validated by the domain, given to every worker."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from nameko.extensions import DependencyProvider

from services.registration.domain.eligibility import (
    EligibilityPolicy,
    PolicyError,
    eligibility_policy_from_mapping,
)

POLICY_FILE = Path(__file__).resolve().parent.parent / "policy" / "eligibility.yaml"


def load_eligibility_policy(path: str | Path | None = None) -> EligibilityPolicy:
    """Read and validate the policy file (the packaged ``policy/eligibility.yaml`` by default)."""
    source = Path(path) if path is not None else POLICY_FILE
    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(data, Mapping):
        raise PolicyError([f"{source.name} does not hold a mapping"])
    return eligibility_policy_from_mapping(data)


class EligibilityPolicyFile(DependencyProvider):
    """Reads the policy when the service starts (a bad file stops it there); workers get the policy."""

    def setup(self) -> None:
        self.policy = load_eligibility_policy()

    def get_dependency(self, worker_ctx) -> EligibilityPolicy:
        return self.policy
