"""Everything the awards service touches outside Python: the database (documents and the repository),
profile sheets and the export files."""
