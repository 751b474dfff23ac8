"""Pure domain layer of the scoring service (no I/O beyond reading packaged JSON Schemas, no clock).

Modules: ``errors`` (Problem, SchemeInvalid, MarkingRuleViolation, PolicyInvalid), ``numbers``
(exact Decimal parsing and half-up rounding), ``scheme`` (MarkingScheme and WSOS variation),
``scheme_json`` (its JSON shape and ``load_scheme``), ``scheme_rules`` (marking rules),
``workbook_layout``, ``cis_import``, ``cis_aspects`` and ``score_sheet_import`` (the layout rules of
scheme workbooks; the adapter opens the file), ``measurement`` (CIS measurement types: observation →
mark), ``marking`` (aspect marks, aggregation, disputes), ``disputes`` (resolving one), ``roster``
(who may mark whom: conflicts of interest, eligible judges), ``marksheet`` (checking a marks request,
progress, results input), ``medals`` (scale, ranks, medals, awards), ``results``
(compute_results) and ``policy`` (the scoring policy data and its JSON Schema).
"""
