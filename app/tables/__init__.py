"""Lunch tables: tables with a host and a video link, seating, live guest lists."""
