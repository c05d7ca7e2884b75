"""Samen: the real-time companion for the 'Samen' block of a G40 network day."""

__version__ = "0.1.0"
