"""Registration's adapters: everything that touches the world outside the rules.

``documents`` declares the stored documents (mongoengine), ``repository`` reads and writes them (a
Nameko dependency, so ``worker_factory`` can swap it), ``roster_file`` reads uploaded rosters through
the project's one spreadsheet reader and ``policy`` reads the eligibility policy file.
"""
