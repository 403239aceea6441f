"""What kind of answer a question asks for, and whether a sentence holds one.

A sentence similar to a question is not an answer to it: "How many seals live on the island?"
is close to "Puffins return to the northern cliffs every April" and to a slide reading
"Seabird colonies · Puffin pairs: 3,200", and neither says how many seals. Questions that name
the kind of their answer are checked for it: *how many / how much / how long / what share*
need a number, *how much does it cost / what price* a sum of money, *when / what year* a
time or a date, *what time / what are the opening hours* a clock time, *in which country /
city* a name, *who* a person
(a name, or people named by what they are: "students from the nursing school"). Evidence
without one cannot answer, so it is not evidence; a question whose evidence all fails
abstains. On the talk eval (``python -m evals.understanding``) this check is what turns most
near-topic questions — the talk's own topic words, a fact nobody states — into abstentions
(docs/evals.md). Questions of other forms (what, which, why, where) are not checked: their
answers take any shape.

The narrow kinds (a clock time, a place's name) are rarely held by chance, so a sentence that
holds one is evidence from a lower similarity (``evidence.TYPED_SIMILARITY``)."""

from __future__ import annotations

import re

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundreds?|thousands?|millions?|billions?|half|halved|third|quarter|"
    "double[sd]?|twice|triple[sd]?|once|dozens?|percent|none|nobody|no one"
)
NUMBER = re.compile(rf"\d|\b({_NUMBER_WORDS})\b", re.IGNORECASE)

_CALENDAR = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekends?|weekdays?|"
    "spring|summer|autumn|fall|winter|yesterday|today|tomorrow|tonight|daily|weekly|monthly|"
    "yearly|annually|week|month|year|morning|afternoon|evening|night|noon|midnight|o'clock|"
    "ago"
)
_HOURS = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
CLOCK = re.compile(
    r"\d{1,2}[:.]\d\d|\b\d{1,2}\s?(am|pm|a\.m\.|p\.m\.)|\b(noon|midnight|o'clock)\b|"
    rf"\b(half past|quarter past|quarter to)\b|\b{_HOURS}\s+(in the (morning|afternoon|evening)|"
    r"at night)\b",
    re.IGNORECASE,
)
TIME = re.compile(
    rf"\b(1[5-9]\d\d|20\d\d)s?\b|\b\d{{1,2}}(st|nd|rd|th)\b|\b({_CALENDAR})\b|{CLOCK.pattern}",
    re.IGNORECASE,
)
# People named by what they do or are (a name is found by its capital, below). Not those a
# talk counts rather than names ("visitors", "customers", "members", "people"): "Who is the
# keeper?" is not answered by "The lighthouse opened to visitors again".
_PEOPLE = re.compile(
    r"\b(students?|pupils?|children|kids|teams?|staff|volunteers?|engineers?|doctors?|nurses?|"
    r"scientists?|researchers?|teachers?|workers?|parents?|famil(y|ies)|residents?|council|"
    r"board|committee|company|university|"
    r"divers?|farmers?|bakers?|directors?|managers?|founders?|chairs?|heads?|experts?|"
    r"authors?|architects?|designers?|developers?|officers?|police|government|mayor|minister|"
    r"professor|president|partners?|firm|charity|fund|foundation|trust|club|society)\b",
    re.IGNORECASE,
)
# A capitalised word after a sentence's first: a name ("built by Anna Berg"), not "I".
_NAME = re.compile(r"(?<=\S\s)(?!I\b)[A-Z][a-z]+")

# Capitalised, but not a person's name.
_NOT_NAMES = frozenset(_CALENDAR.split("|")) | {"mr", "mrs", "ms", "dr"}

# "What are the museum's opening hours?" asks for clock times as "what time" does: "Sunday
# mornings were the busiest time of the week" is not when it opens.
_ASKS_CLOCK = re.compile(
    r"^((at\s+)?what time|(during\s+)?what hours|what (are|were) the ([\w']+\s+){0,3}hours)\b",
    re.IGNORECASE,
)
_ASKS_TIME = re.compile(
    r"^(when|since when|until when|(in\s+)?(what|which) (year|month|day|season|decade)|"
    r"how long ago)\b",
    re.IGNORECASE,
)
_ASKS_NUMBER = re.compile(
    r"^(how (many|much|far|long|old|big|large|small|tall|high|often|fast|heavy|deep|wide|"
    r"hot|cold|warm|quickly|soon)|(what|which) (share|percentage|percent|proportion|fraction|"
    r"number|amount|price|size|rate|ratio|fee|cost|budget|total|distance|length|weight))\b",
    re.IGNORECASE,
)
_ASKS_PERSON = re.compile(r"^(who|whom|whose)\b", re.IGNORECASE)
# What something costs: "How much does a croissant cost?" is not answered by "The tram line
# will run 12 kilometers", though it holds a number; it needs a price.
_ASKS_MONEY = re.compile(
    r"^(how much (does|do|did|will|would|is|are|was|were|can|could)\b.*\b(cost|costs|charge|"
    r"charged|pay|paid|spend|spent|earn|earned|sell for|sold for)\b|how much money\b|"
    r"(what|which) (price|fee|fare|cost|charge|wage|salary|rent)s?\b)",
    re.IGNORECASE,
)
# Where, by a country's or a city's name: "In which country was the skeleton dug up?".
_ASKS_PLACE = re.compile(
    r"^((in|from|to|at) )?(which|what) (country|countries|city|cities|town|towns|state|region|"
    r"continent|nation)\b",
    re.IGNORECASE,
)
MONEY = re.compile(
    r"[$\u20ac\u00a3\u00a5]|\b(euros?|dollars?|pounds?|cents?|pence|francs?|yen|free)\b",
    re.IGNORECASE,
)


def expected(question: str) -> str | None:
    """The kind of answer ``question`` asks for — ``clock``, ``money``, ``place``, ``time``,
    ``number``, ``person`` — or None when its form does not say."""
    asked = question.strip()
    for kind, form in (
        ("clock", _ASKS_CLOCK),
        ("money", _ASKS_MONEY),
        ("place", _ASKS_PLACE),
        ("time", _ASKS_TIME),
        ("number", _ASKS_NUMBER),
        ("person", _ASKS_PERSON),
    ):
        if form.match(asked):
            return kind
    return None


def holds(text: str, kind: str | None) -> bool:
    """Whether ``text`` holds an answer of ``kind`` (always, when the kind is unknown)."""
    if kind is None:
        return True
    if kind == "clock":
        return CLOCK.search(text) is not None
    if kind == "time":
        return TIME.search(text) is not None
    if kind == "place":
        return _named(text)
    if kind == "money":
        return MONEY.search(text) is not None
    if kind == "number":
        return NUMBER.search(text) is not None
    if kind == "person":
        return _PEOPLE.search(text) is not None or _named(text)
    raise ValueError(f"unknown answer kind {kind!r}")


def _named(text: str) -> bool:
    """Whether ``text`` names someone or somewhere (a capitalised word past its first)."""
    return any(name.lower() not in _NOT_NAMES for name in _NAME.findall(text))
