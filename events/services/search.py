"""Search words as people type them: "sober hike" finds the hiking club's walks, "meeting" finds
12-step and support meetings. Words that say nothing here (sober, recovery, near, this, ...)
are dropped; each remaining word must match the event's activity (through its synonyms), its
title, its club's name or its place."""

from __future__ import annotations

import re
from typing import Any

# Words every event here shares, or that only glue a search together.
IGNORED = frozenset(
    [
        "a",
        "an",
        "and",
        "the",
        "in",
        "on",
        "at",
        "of",
        "for",
        "to",
        "with",
        "near",
        "me",
        "my",
        "this",
        "next",
        "week",
        "weekend",
        "today",
        "tonight",
        "sober",
        "sobriety",
        "recovery",
        "recovering",
        "clean",
        "dry",
        "alcohol",
        "free",
        "alcohol-free",
        "substance",
        "group",
        "groups",
        "club",
        "clubs",
        "event",
        "events",
        "activity",
        "activities",
    ]
)

# A word → the activities it means. Spelling variants of the activity itself match by prefix.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "hike": ("hiking",),
    "hikes": ("hiking",),
    "hiker": ("hiking",),
    "hikers": ("hiking",),
    "walk": ("hiking",),
    "walks": ("hiking",),
    "walking": ("hiking",),
    "trail": ("hiking", "running"),
    "trails": ("hiking", "running"),
    "outdoors": ("hiking", "climbing", "cycling"),
    "run": ("running",),
    "runs": ("running",),
    "runner": ("running",),
    "jog": ("running",),
    "jogging": ("running",),
    "5k": ("running",),
    "gym": ("fitness",),
    "workout": ("fitness",),
    "workouts": ("fitness",),
    "exercise": ("fitness", "yoga", "running"),
    "bootcamp": ("fitness",),
    "training": ("fitness",),
    "climb": ("climbing",),
    "bouldering": ("climbing",),
    "bike": ("cycling",),
    "biking": ("cycling",),
    "ride": ("cycling",),
    "rides": ("cycling",),
    "ball": ("softball", "baseball"),
    "sports": ("softball", "baseball", "fitness"),
    "meeting": ("meeting",),
    "meetings": ("meeting",),
    "12-step": ("meeting",),
    "12": ("meeting",),
    "step": ("meeting",),
    "aa": ("meeting",),
    "na": ("meeting",),
    "smart": ("meeting",),
    "support": ("meeting", "coaching"),
    "share": ("meeting",),
    "circle": ("meeting",),
    "coach": ("coaching",),
    "coaches": ("coaching",),
    "mentor": ("coaching",),
    "sponsor": ("coaching", "meeting"),
    "therapy": ("coaching", "meeting"),
    "talk": ("meeting", "coaching"),
    "coffee": ("social",),
    "hangout": ("social",),
    "volunteer": ("volunteering",),
}

# What to call events of an activity in a sentence: "No hikes this weekend".
NOUNS = {
    "hiking": "hikes",
    "running": "runs",
    "fitness": "workouts",
    "yoga": "yoga classes",
    "climbing": "climbing sessions",
    "cycling": "rides",
    "softball": "games",
    "baseball": "games",
    "meeting": "meetings",
    "coaching": "coaching sessions",
    "social": "socials",
    "volunteering": "volunteer days",
}

_WORD = re.compile(r"[a-z0-9][a-z0-9'-]*")


def words(q: str) -> list[str]:
    """The words of a search that say something, lower-case, in order, without repeats."""
    found: list[str] = []
    for word in _WORD.findall(q.lower()):
        word = word.strip("'-")
        if word and word not in IGNORED and word not in found:
            found.append(word)
    return found


def activities_for(word: str, known: tuple[str, ...] | list[str] = ()) -> tuple[str, ...]:
    """The activities a word means: its synonyms, and any known activity it starts."""
    meant = list(SYNONYMS.get(word, ()))
    if len(word) >= 3:
        meant += [a for a in known if a.startswith(word) or word.startswith(a)]
    return tuple(dict.fromkeys(meant))


def noun(activity: str) -> str:
    return NOUNS.get(activity, f"{activity} events" if activity else "events")


def search_noun(q: str, known: tuple[str, ...] | list[str] = ()) -> str:
    """'hikes' for a search that means one activity, else ''."""
    meant = {a for w in words(q) for a in activities_for(w, known)}
    return noun(meant.pop()) if len(meant) == 1 else ""


def clause(event: Any, q: str, known: tuple[str, ...] | list[str], contains: Any) -> Any | None:
    """A WHERE condition over `event` (the Event table or a join to it) for the search `q`, or
    None when no word of it says anything (then nothing is narrowed)."""
    condition = None
    for word in words(q):
        pattern = "%" + word.replace("%", "").replace("_", "") + "%"
        # A place kept for people going is never searched: a match would give it away.
        public_place = contains(event.location, pattern) & event.details_for_attendees_only.eq(
            False
        )
        match = (
            contains(event.title, pattern)
            | contains(event.club.name, pattern)
            | public_place
            | contains(event.location_hint, pattern)
        )
        meant = activities_for(word, known)
        if meant:
            match = match | event.activity.is_in(list(meant))
        condition = match if condition is None else condition & match
    return condition
