"""Packaged honours policy data (default.yaml) and its JSON Schema.

Data only: the awards domain loads these files through
``services.awards.domain.policy.load_default_policy``.
"""
