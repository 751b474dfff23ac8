"""Pure domain layer of the scoring service (no I/O beyond reading packaged JSON files).

Modules: ``errors`` (Problem, SchemeInvalid, MarkingRuleViolation, PolicyInvalid), ``numbers``
(exact Decimal parsing and half-up rounding), ``scheme`` (MarkingScheme, JSON conversion and
marking rules), ``cis_import`` (workbook import: the CIS layout), ``score_sheet_import`` (评分表
import), ``measurement`` (CIS measurement types: observation → mark), ``marking`` (aspect marks,
aggregation, disputes), ``results`` (scale, ranks, medals, awards, compute_results) and ``policy`` (the
scoring policy data and its JSON Schema).
"""
