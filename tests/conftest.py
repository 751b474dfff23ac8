import eventlet

eventlet.monkey_patch()  # noqa: E402 - must run before anything imports socket/threading
