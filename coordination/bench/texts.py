"""The plaintext the generator writes, derived from ids so a test can say what a row must
decrypt to. Invented, never real: the names and CPR numbers belong to nobody."""

from __future__ import annotations

FIRST_NAMES = [
    "Emil",
    "Noah",
    "Ida",
    "Freja",
    "Oscar",
    "Alma",
    "William",
    "Clara",
    "Lucas",
    "Ella",
    "Victor",
    "Karla",
    "Malthe",
    "Asta",
    "Magnus",
    "Agnes",
]
LAST_NAMES = [
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Petersen",
    "Madsen",
    "Kristensen",
]
STREETS = ["Skolevej", "Kirkegade", "Bakkevej", "Søndergade", "Nørregade", "Engvej"]
NOTE_PHRASES = [
    "Har talt med skolen om fraværet; aftalt opfølgning med forældrene.",
    "Var til samtale og virkede mere rolig end sidst; fortsætter i klubben.",
    "Politiet har haft en bekymringssamtale; ingen ny sigtelse.",
    "Sagsbehandler orienteret om boligsituationen; afventer svar fra kommunen.",
    "Deltog i praktikforløb tre dage; mødte stabilt.",
]
GOALS = "Stabil skolegang, en fritidsaktivitet og ingen ny kriminalitet inden revurderingen."
ACTIONS = ["Mentorforløb", "Samtale med familien", "Skoleplan", "Fritidsjob", "Misbrugsbehandling"]
CONCERN = "Bekymring fra {source}: gentagne episoder i området og stigende skolefravær."


def person_name(person_index: int) -> str:
    first = FIRST_NAMES[person_index % len(FIRST_NAMES)]
    last = LAST_NAMES[(person_index // len(FIRST_NAMES)) % len(LAST_NAMES)]
    return f"{first} Bench{person_index} {last}"


def address(person_index: int) -> str:
    return f"{STREETS[person_index % len(STREETS)]} {person_index % 97 + 1}"


def note_body(note_pk: int) -> str:
    return f"Notat {note_pk}: {NOTE_PHRASES[note_pk % len(NOTE_PHRASES)]}"


def action_text(action_pk: int) -> str:
    return f"{ACTIONS[action_pk % len(ACTIONS)]} (handling {action_pk})"


def minutes(item_pk: int) -> str:
    return f"Referat {item_pk}: drøftet anonymt; helhedsplanen fortsætter uændret."


NECESSITY = "Nødvendigt for at forebygge kriminalitet: forummet skal kende status i sagen."
CLOSED_REASON = "Sagen er afsluttet: personen er flyttet fra kommunen."
NAMED_REASON = "Drøftes med navn: samtykke fra forældremyndighedsindehaver foreligger."
