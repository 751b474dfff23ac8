"""Registration's command handlers: load, ask the domain, save the state and its events in one write.

Each handler takes a ``Context`` (the worker's repository, today's date, the eligibility policy and
the person-key secret) and the request; the service relays the events the writes stored.
"""
