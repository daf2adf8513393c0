"""Steady: events, RSVPs and calendar feeds for sober communities."""
