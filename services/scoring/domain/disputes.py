"""Resolving a judgement dispute: the chief expert records the scores the judges agreed on.

A dispute is a judgement aspect of one entry whose judges' scores differ by more than the
policy's ``dispute_limit`` (:func:`~services.scoring.domain.marking.is_disputed`). The chief
expert resolves it by setting agreed scores for some of the judges who scored it; the resolution
is accepted only when it makes the dispute go away. Pure: the caller passes the scores held now.
"""
from __future__ import annotations

from collections.abc import Mapping

from .errors import Problem
from .marking import is_disputed, judgement_score_valid


def resolution_problems(held: Mapping[str, int], agreed: Mapping[str, int], limit: int | None) -> list[Problem]:
    """Why ``agreed`` (judge -> score) cannot resolve the dispute over ``held`` (judge -> score now).

    Empty when the aspect is in dispute now, every judge named scored it, every score is 0-3 and
    the scores afterwards are no longer in dispute.
    """
    if not is_disputed(held, limit):
        return [Problem("/aspect", f"not in dispute: the judges' scores {sorted(held.values())} differ by at most "
                                   f"{limit}")]
    problems = []
    for judge, score in agreed.items():
        if judge not in held:
            scored = ", ".join(sorted(held))
            problems.append(Problem(f"/scores/{judge}", f"{judge} has not scored this aspect (scored by {scored})"))
        trouble = judgement_score_valid(score)
        if trouble:
            problems.append(Problem(f"/scores/{judge}", trouble))
    if problems:
        return problems
    after = {**held, **agreed}
    if is_disputed(after, limit):
        return [Problem("/scores", f"still in dispute: the scores would be {sorted(after.values())}, which differ by "
                                   f"more than {limit}")]
    return []
