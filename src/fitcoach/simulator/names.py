"""Names and titles, deliberately full of non-ASCII letters and HTML-like text.

A client that escapes, encodes or truncates badly shows it here first.
"""

from __future__ import annotations

import random

FIRST_NAMES = {
    "F": (
        "Zoë",
        "Anaïs",
        "Małgorzata",
        "Chloé",
        "Ngozi",
        "Ingrid",
        "Sofía",
        "Yūko",
        "Aoife",
        "Marianne",
        "Þóra",
        "Léa",
        "Björk",
        "Nadège",
        "Priya",
    ),
    "M": (
        "Søren",
        "Łukasz",
        "José",
        "Björn",
        "Đorđe",
        "François",
        "Jürgen",
        "Kenji",
        "Seán",
        "Mateus",
        "Ömer",
        "Thandiwe",
        "Rémi",
        "Dmitrij",
        "Ignacio",
    ),
}
LAST_NAMES = (
    "Müller",
    "O'Brien",
    "Nowak",
    "García-Márquez",
    "Nakamura",
    "Ødegaard",
    "Dubois",
    "van der Berg",
    "Kowalczyk",
    "Ó Súilleabháin",
    "Smith & Sons",
    "Żuk",
    "Ndlovu",
    "Lindqvist",
    "Petrović",
    "Silva",
    "Åberg",
    "D'Angelo",
)

# Titles keyed by the generator's workout kinds; some are what Strava would auto-name.
TITLES = {
    "ride_endurance": (
        "Morning Ride",
        "Café ride — Zürich",
        "Long Z2 🚴",
        "Sunday loop",
        "Ausfahrt über den Pass",
        "Col de la Forclaz (again)",
        "Afternoon Ride",
    ),
    "ride_intervals": (
        '<b>Tempo</b> & "hills"',
        "VO2 5×5′ @ 120%",
        "Intervals: 4x8min",
        "Over-unders <3",
        "Threshold 2×20",
    ),
    "ride_sweetspot": ("Sweet spot 3×15", "SST — 88–93 %", "Evening Ride"),
    "ride_recovery": ("Recovery spin", "Easy legs ☕", "Coffee ride ☕ <i>slow</i>"),
    "ride_race": ("Gran Fondo Girona 🏁", "Crit #3 — Cat 3/4", "Race: Tour de Suisse Challenge"),
    "ride_indoor": (
        "Zwift - Watopia",
        "Trainer: 4×10 @ FTP",
        "Indoor <script>x</script> ride",
        "TrainerRoad — Mount Goddard",
    ),
    "ride_commute": ("Commute 🚲", "Pendeln", "Ride to work"),
    "run_easy": ("Morning Run", "Easy run", "Lauf am See", "Récupération active", "Lunch Run 🏃"),
    "run_long": ("Long run with O'Neill", "Sunday long run", "Långpass 25 km"),
    "run_tempo": ("Tempo 3×3k", "<em>Threshold</em> run", "Progression run → fast"),
    "run_intervals": ("Track: 12 × 400 m", "Fartlek & strides", "800s @ 5K pace"),
    "run_race": ("Parkrun #142", "10K du Lac 🏅", "Half Marathon — PB!", "Marathon de Paris"),
    "run_recovery": ("Shakeout", "Recovery jog", "Easy 5k ☀️"),
    "swim_endurance": ("Morning Swim", "Pool 3000m", "Øresund open water"),
    "swim_intervals": ("10×100 @ CSS", "Swim: pyramid 100-200-300", "Schwimmen — Technik"),
    "manual": ("Gym — core & mobility", "Strength <session>", "Yoga 🧘", "Forgot my watch"),
}


def athlete_name(rng: random.Random, sex: str) -> tuple[str, str]:
    return rng.choice(FIRST_NAMES[sex]), rng.choice(LAST_NAMES)


def activity_title(rng: random.Random, kind: str) -> str:
    return rng.choice(TITLES.get(kind, ("Workout",)))
