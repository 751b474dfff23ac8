"""Scoring's adapters: the repository over its mongoengine documents, workbook readers and writers."""
