"""Deterministic synthetic news corpus: English and German articles about made-up events, several
outlets per event, so story grouping and scale can be measured anywhere.

    python benchmarks/synthetic.py OUT_DIR --articles 1000 [--seed 7] [--sentences 6] [--background 0]
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

COMPANIES = [
    "Acme Motors",
    "Borealis Energy",
    "Cobalt Systems",
    "Delta Foods",
    "Elbe Logistics",
    "Fjord Pharma",
    "Granite Bank",
    "Helios Solar",
    "Iris Telecom",
    "Juno Aerospace",
    "Kestrel Mining",
    "Lumen Robotics",
]
PEOPLE = [
    "Mara Lindqvist",
    "Jonas Becker",
    "Priya Natarajan",
    "Tomás Herrera",
    "Aiko Tanaka",
    "Lena Fischer",
    "Omar Haddad",
    "Sofia Rossi",
    "Daniel Okafor",
    "Eva Novak",
]
CITIES = ["Leipzig", "Lisbon", "Gdansk", "Lyon", "Porto", "Bremen", "Turin", "Malmo", "Ghent", "Graz"]
THINGS = [
    ("battery plant", "Batteriewerk"),
    ("data center", "Rechenzentrum"),
    ("research lab", "Forschungslabor"),
    ("wind farm", "Windpark"),
    ("chip factory", "Chipfabrik"),
    ("logistics hub", "Logistikzentrum"),
]
EN = [
    "{company} announced a new {thing} in {city} on {day}.",
    "Chief executive {person} said the {thing} will employ {workers} people.",
    "The project is expected to cost {cost} million euros.",
    "{person} told reporters that construction starts in {month}.",
    "Local officials in {city} welcomed the investment.",
    "Analysts said the {thing} could raise output by {pct}%.",
    "Critics warned about the impact on the region.",
    "{company} shares rose {pct2}% after the announcement.",
]
DE = [
    "{company} kündigte am {day_de} ein neues {thing_de} in {city} an.",
    "Vorstandschef {person} sagte, das {thing_de} werde {workers} Menschen beschäftigen.",
    "Das Projekt soll {cost} Millionen Euro kosten.",
    "{person} sagte, der Bau beginne im {month_de}.",
    "Die Stadt {city} begrüßte die Investition.",
    "Analysten erwarten eine um {pct} % höhere Produktion.",
    "Kritiker warnten vor den Folgen für die Region.",
    "Die Aktie von {company} stieg nach der Ankündigung um {pct2} %.",
]
# Background paragraphs make some articles several chunks long, as real news is.
BACKGROUND_EN = [
    "In {year}, the {sector} sector in {city} employed about {n} people.",
    "{company} reported revenue of {cost} million euros in {year}.",
    "The company has been expanding across Europe since {year}.",
    "Regional unemployment stood at {pct}% last year, according to official figures.",
    "A similar project by a rival in {city} was delayed by {pct2} months.",
    "Environmental groups asked for a review of water use at the site.",
    "The regional government offered subsidies worth {n} thousand euros.",
    "Trade unions said they would negotiate wages with {company} in {month}.",
]
BACKGROUND_DE = [
    "Im Jahr {year} arbeiteten in {city} rund {n} Menschen in der Branche {sector}.",
    "{company} meldete für {year} einen Umsatz von {cost} Millionen Euro.",
    "Das Unternehmen expandiert seit {year} in ganz Europa.",
    "Die Arbeitslosenquote in der Region lag im vergangenen Jahr bei {pct} Prozent.",
    "Ein ähnliches Projekt eines Konkurrenten in {city} verzögerte sich um {pct2} Monate.",
    "Umweltverbände forderten eine Prüfung des Wasserverbrauchs am Standort.",
    "Die Landesregierung bot Fördermittel in Höhe von {n} Tausend Euro an.",
    "Gewerkschaften wollen im {month_de} mit {company} über Löhne verhandeln.",
]
SECTORS = ["energy", "logistics", "manufacturing", "retail", "software", "health"]
DAYS = [
    ("Monday", "Montag"),
    ("Tuesday", "Dienstag"),
    ("Wednesday", "Mittwoch"),
    ("Thursday", "Donnerstag"),
    ("Friday", "Freitag"),
]
MONTHS = [("March", "März"), ("April", "April"), ("May", "Mai"), ("June", "Juni"), ("October", "Oktober")]
OUTLETS = ["Daily Ledger", "Market Wire", "Tech Courier", "Nordic Post", "Euro Business", "Handelsblatt Online"]


def events(n: int, rng: random.Random) -> list[dict]:
    """Events differ in who builds what where, as real ones do (each combination is used once
    while there are combinations left)."""
    combos = [(c, t, city) for c in COMPANIES for t in THINGS for city in CITIES]
    rng.shuffle(combos)
    out = []
    for i in range(n):
        company, (thing, thing_de), city = combos[i % len(combos)]
        day, day_de = rng.choice(DAYS)
        month, month_de = rng.choice(MONTHS)
        out.append(
            {
                "company": company,
                "person": rng.choice(PEOPLE),
                "city": city,
                "thing": thing,
                "thing_de": thing_de,
                "day": day,
                "day_de": day_de,
                "month": month,
                "month_de": month_de,
                "workers": rng.randrange(100, 5000, 50),
                "cost": rng.randrange(20, 900, 10),
                "pct": rng.randrange(3, 40),
                "pct2": rng.randrange(1, 12),
                "id": i,
            }
        )
    return out


def article(ev: dict, outlet: str, german: bool, rng: random.Random, sentences: int, background: int = 0) -> str:
    lines = DE if german else EN
    chosen = [lines[0], lines[1]] + rng.sample(lines[2:], k=min(sentences - 2, len(lines) - 2))
    body = " ".join(line.format(**ev) for line in chosen)
    if background:
        bg = BACKGROUND_DE if german else BACKGROUND_EN
        extra = [
            rng.choice(bg).format(
                **ev, year=rng.randrange(1990, 2026), n=rng.randrange(200, 90000), sector=rng.choice(SECTORS)
            )
            for _ in range(rng.randrange(0, 2 * background + 1))
        ]
        body += "\n\n" + " ".join(extra) if extra else ""
    title = (
        f"{ev['company']}: neues {ev['thing_de']} in {ev['city']}"
        if german
        else f"{ev['company']} plans {ev['thing']} in {ev['city']}"
    )
    footer = f"The post {title} appeared first on {outlet}." if not german else f"Quelle: {outlet}"
    return f"{title}\n\n{body}\n{footer}\n"


def generate(out: Path, n_articles: int, seed: int = 7, sentences: int = 6, background: int = 0) -> int:
    """background: mean number of extra background sentences per article (0 = one-chunk articles)."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    evs = events(max(1, n_articles // 3), rng)
    for k in range(n_articles):
        ev = evs[k % len(evs)] if k < len(evs) else rng.choice(evs)
        german = rng.random() < 0.25
        text = article(ev, rng.choice(OUTLETS), german, rng, sentences, background)
        (out / f"synthetic_{k:06d}_e{ev['id']:05d}.txt").write_text(text, encoding="utf-8")
    return len(evs)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--sentences", type=int, default=6)
    ap.add_argument("--background", type=int, default=0, help="mean extra background sentences per article")
    a = ap.parse_args()
    n_events = generate(a.out, a.articles, a.seed, a.sentences, a.background)
    print(f"wrote {a.articles} articles about {n_events} events to {a.out}")
