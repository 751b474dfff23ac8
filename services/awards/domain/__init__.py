"""Awards domain: pure rules turning published results into honours and ranked nominee lists.

No I/O besides reading the packaged policy files. Modules:

- :mod:`.policy`     — load/validate the versioned honours policy (YAML + JSON Schema)
- :mod:`.levels`     — skill-level arithmetic (5 初级工 … 1 高级技师)
- :mod:`.results`    — ``Competition``/``ContestantResult`` from ``results_published``
- :mod:`.honours`    — ``honours_for_result``
- :mod:`.programmes` — eligibility, scores, ranking and cut line for honours programmes
- :mod:`.workflow`   — nominee status transitions (``decide``)
"""
