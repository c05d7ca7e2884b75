"""Organiser console: setting up events, participants, links, running the day, export, purge."""
