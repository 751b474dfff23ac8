"""Scoring policy data files (JSON), packaged with the service; see ``domain/policy.py``."""
