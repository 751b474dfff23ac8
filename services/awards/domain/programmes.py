"""Honours programmes: 上海工匠, 首席技师, 技能大师工作室, 上海市杰出技术能手.

One entry point for the programme side of the domain; the work is split by concern:

- :mod:`.candidates`  — ``CandidateRecord`` and its parts, ``Reason``
- :mod:`.eligibility` — ``check_eligibility``
- :mod:`.scoring`     — ``score_candidate``, ``Score``/``ScoreLine``, fingerprints, ``score_delta``
- :mod:`.ranking`     — ``rank_nominees`` (order and tie-breaks)
- :mod:`.cut_line`    — ``draw_cut_line``

Which programmes exist, their checks, weights, quotas and budgets are policy data.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .candidates import (
    Achievement,
    CandidateRecord,
    HeldTitle,
    InnovationAward,
    Reason,
    achievement_from_result,
    as_record,
)
from .cut_line import CutLine, CutLineEntry, draw_cut_line
from .eligibility import check_eligibility
from .policy import Policy, as_policy
from .ranking import RankedNominee, rank_nominees
from .scoring import (
    Score,
    ScoreDelta,
    ScoreLine,
    programme_eligibility_fingerprint,
    programme_weights_fingerprint,
    score_candidate,
    score_delta,
)

PROGRAMMES = ("shanghai_craftsman", "chief_technician", "master_studio", "outstanding_technical_expert")


def programme_funding(policy: Policy | Mapping[str, Any], programme: str) -> dict[str, int | None]:
    """Default quota, budget and amount per person for ``programme`` (a round may override them)."""
    funding = as_policy(policy).programme(programme).get("funding", {})
    keys = ("quota", "budget_yuan", "amount_per_person_yuan", "employer_match_min_yuan")
    return {key: funding.get(key) for key in keys}


__all__ = [
    "PROGRAMMES",
    "Achievement",
    "CandidateRecord",
    "CutLine",
    "CutLineEntry",
    "HeldTitle",
    "InnovationAward",
    "RankedNominee",
    "Reason",
    "Score",
    "ScoreDelta",
    "ScoreLine",
    "achievement_from_result",
    "as_record",
    "check_eligibility",
    "draw_cut_line",
    "programme_eligibility_fingerprint",
    "programme_funding",
    "programme_weights_fingerprint",
    "rank_nominees",
    "score_candidate",
    "score_delta",
]
