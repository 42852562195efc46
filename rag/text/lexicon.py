"""Closed word classes of English and German that several stages read: month and weekday names,
number words, and the function words that tell a text's language. One table each; every use
(date parsing, sentence ends, story facts, answer types) derives what it needs from these."""

from __future__ import annotations

import re

_MONTH_NAMES = [
    ("january", "januar", "jänner", "jan"),
    ("february", "februar", "feb"),
    ("march", "märz", "maerz", "mar", "mär"),
    ("april", "apr"),
    ("may", "mai"),
    ("june", "juni", "jun"),
    ("july", "juli", "jul"),
    ("august", "aug"),
    ("september", "sept", "sep"),
    ("october", "oktober", "oct", "okt"),
    ("november", "nov"),
    ("december", "dezember", "dec", "dez"),
]
MONTHS: dict[str, int] = {name: i for i, names in enumerate(_MONTH_NAMES, 1) for name in names}
# "Jan." and "Okt." are abbreviations (a period after them does not end a sentence); "Mai" is a name
MONTH_ABBREVIATIONS = frozenset(m for m in MONTHS if len(m) <= 4 and any(f != m and f.startswith(m) for f in MONTHS))
MONTH_NAMES = frozenset(MONTHS) - MONTH_ABBREVIATIONS

ENGLISH_WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
GERMAN_WEEKDAYS = "montag dienstag mittwoch donnerstag freitag samstag sonnabend sonntag".split()
WEEKDAYS = ENGLISH_WEEKDAYS + GERMAN_WEEKDAYS
RELATIVE_DAYS = "yesterday today tomorrow tonight gestern heute morgen vorgestern".split()

# Counts have a value; multipliers and vague quantities ("million", "several") say a figure is
# there but are not one ("1.5 million" is the figure 1.5 with its unit).
NUMBER_WORDS: dict[str, int | None] = {
    **dict(zip("one two three four five six seven eight nine ten eleven twelve".split(), range(1, 13))),
    **dict(zip("eins zwei drei vier fünf sechs sieben acht neun zehn elf zwölf".split(), range(1, 13))),
    "fifteen": 15,
    "eighteen": 18,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "fünfzehn": 15,
    "achtzehn": 18,
    "zwanzig": 20,
    "dreißig": 30,
    "vierzig": 40,
    "fünfzig": 50,
    **dict.fromkeys(
        "hundred thousand million billion trillion half dozen several hundert tausend million millionen "
        "milliarde milliarden billion hälfte dutzend mehrere".split()
    ),
}

# Frequent function words, including question words (questions are short)
ENGLISH_HINTS = frozenset(
    "the and is are was were of to in that with for on as by it this from has have be at an "
    "who whom what how where when which why about did does not a".split()
)
GERMAN_HINTS = frozenset(
    "der die das und ist sind nicht mit sich auf für ein eine dass von zu im den dem des wird "
    "auch wer wen wem was wie wo wann welche welcher welches welchen warum hat über am".split()
)

# German closed-class words and the English word a reader expects in their place: left German, an
# English gloss of a German sentence reads "Der current happens von der north" to MiniLM.
GERMAN_FUNCTION_WORDS = dict(
    pair.split(":")
    for pair in """
der:the die:the das:the den:the dem:the des:the ein:a eine:a einer:a eines:a einem:a einen:a und:and oder:or
aber:but ist:is sind:are war:was waren:were wird:will werden:will wurde:was wurden:were hat:has haben:have
hatte:had hatten:had nicht:not mit:with sich:itself auf:on für:for von:of zu:to im:in in:in am:on an:at als:as
auch:also es:it er:he sie:they wir:we ihr:its dass:that daß:that bei:at nach:after um:at wie:as was:what wer:who
wo:where noch:still nur:only schon:already so:so über:over unter:under vor:before aus:from diese:this
dieser:this dieses:this diesen:this diesem:this seit:since bis:until durch:through gegen:against ohne:without
zwischen:between sein:its seine:its seinen:its seiner:its seinem:its ihre:its ihren:its ihrem:its ihrer:its
vom:from zum:to zur:to beim:at ins:into man:one kein:no keine:no mehr:more sehr:very wenn:if weil:because
doch:but denn:because rund:about etwa:about knapp:nearly soll:should sollen:should kann:can können:can
muss:must müssen:must""".split()
)


def language_of(text: str, min_hints: int = 0) -> str:
    """'de' or 'en' from function words and umlauts; 'und' when fewer than min_hints function
    words are found (a list of names, a table)."""
    low = text.lower()
    tokens = re.findall(r"[a-zäöüß]+", low)
    en = sum(t in ENGLISH_HINTS for t in tokens)
    de = sum(t in GERMAN_HINTS for t in tokens)
    if en + de < min_hints:
        return "und"
    de += 2 * any(c in low for c in "äöüß")
    return "de" if de > en else "en"
