"""Plain helpers shared by test modules (the fixtures live in the conftest.py files): requests and look-ups for
the in-process web tests (web.py, api.py), and the real-server load tools of the multiprocess tests and the
benches (server.py, clients.py, fleet.py, crash_loop.py, races.py, frame_flood.py)."""
