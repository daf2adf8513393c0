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

# Words → the activities they mean, grouped by meaning. Spelling variants of the activity
# itself match by prefix.
_MEANINGS: dict[str, tuple[str, ...]] = {
    "hike hikes hiker hikers walk walks walking": ("hiking",),
    "trail trails": ("hiking", "running"),
    "outdoors": ("hiking", "climbing", "cycling"),
    "run runs runner jog jogging 5k": ("running",),
    "gym workout workouts bootcamp training": ("fitness",),
    "exercise": ("fitness", "yoga", "running"),
    "climb bouldering": ("climbing",),
    "bike biking ride rides": ("cycling",),
    "ball": ("softball", "baseball"),
    "sports": ("softball", "baseball", "fitness"),
    "meeting meetings 12-step 12 step aa na smart share circle": ("meeting",),
    "support talk": ("meeting", "coaching"),
    "coach coaches mentor": ("coaching",),
    "sponsor therapy": ("coaching", "meeting"),
    "coffee hangout": ("social",),
    "volunteer": ("volunteering",),
}
# A word → the activities it means.
SYNONYMS = {word: meant for group, meant in _MEANINGS.items() for word in group.split()}

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
