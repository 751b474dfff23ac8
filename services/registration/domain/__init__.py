"""Registration domain: pure rules for competitions, contestants, rosters and conflicts of interest.

Nothing here does I/O (apart from reading the packaged policy file on request), talks to nameko or
touches a database. The service layer converts stored documents and request payloads into these
types, calls the rules, and turns the problems they return into the shared error envelope.
"""
