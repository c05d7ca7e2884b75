"""The live layer: topics, coalesced rendering, fan-out to WebSockets. It knows nothing of any domain."""
