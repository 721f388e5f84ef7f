"""The demo's year as data: who came to which forum when, what was decided, in which sessions
each person was discussed, the helhedsplan and its actions. All dates are relative to the day
of seeding (months or days ago, days ahead). The persons are fictitious; the CPR numbers are
made up but well-formed."""

from __future__ import annotations

from dataclasses import dataclass, field

# A sentence every recorded minute carries (tests look for it in the raw database).
MINUTES_SENTENCE = "Forummet drøftede situationen på tværs af myndighederne."
NECESSITY = "Forummet skal kende situationen for at kunne samordne den forebyggende indsats."
# What the reviews report, in turn.
PROGRESS = [
    "fremmødet i skolen er steget",
    "familien har taget imod tilbuddet om støtte",
    "der er ikke registreret nye hændelser siden sidst",
    "kontakten til de ældre unge er mindsket",
    "aftalerne fra sidste møde er overholdt",
]


@dataclass(frozen=True)
class Action:
    owner: str  # email prefix; the owner's agency is the responsible agency
    text: str
    due_in_days: int  # negative: in the past
    done: bool = False


@dataclass(frozen=True)
class Plan:
    goals: str
    review_in_days: int | None
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class Consent:
    given_by: str
    decision: str
    days_after_opening: int
    note: str = ""


@dataclass(frozen=True)
class Story:
    """One person's year on one forum. ``cpr`` "" means born 18 years before a day two months
    ahead (the SSP case turning 18). ``months_ago`` 0: a new concern ``days_ago`` days old."""

    key: str
    forum: str
    reporter: str
    name: str
    cpr: str
    categories: tuple[str, ...]
    description: str
    decision: str  # pending, bring_to_forum, no_action, passed_on
    months_ago: int = 0
    days_ago: int = 0
    sessions: tuple[int, ...] = ()  # months ago of the past sessions that discussed the person
    reason: str = ""
    target: str = ""
    named: bool = False
    plan: Plan | None = None
    consents: tuple[Consent, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Year:
    """The year of a person seeded by coordination.demo.base (see Story for the fields)."""

    months_ago: int
    sessions: tuple[int, ...] = ()
    plan: Plan | None = None
    consents: tuple[Consent, ...] = ()


# The persons seeded by coordination.demo.base, given their year here (by name).
CAST_YEAR = {
    "Mikkel Demosen": Year(
        months_ago=10,
        sessions=(10, 7, 4, 1),
        plan=Plan(
            "Mikkel kommer i skole hver dag og holder sig fra miljøet ved stationen.",
            14,
            (
                Action("skole@kk", "Ugentlig fraværsopfølgning med forældrene.", 2),
                Action("politi@kk", "Bekymringssamtale med den unge og forældrene.", -40, True),
                Action("politi@kk", "Følge op på færden ved stationen med SSP-medarbejderne.", 5),
                Action(
                    "formand@kk", "Følge op på underretningen og tilbyde familiebehandling.", -12
                ),
            ),
        ),
        consents=(Consent("custody_holder", "obtained", 5),),
    ),
    "Omar Fiktivsen": Year(
        months_ago=6,
        plan=Plan(
            "Omar bryder med grupperingen og får egen bolig og beskæftigelse.",
            21,
            (
                Action("politi@kk", "Bekymringssamtale om tilknytningen til grupperingen.", -8),
                Action("kriminalforsorg@kk", "Samtale om vilkår og exitforløb.", 12),
                Action("social@kk", "Kontaktperson og hjælp til bolig.", -30, True),
            ),
        ),
    ),
    "Hanne Demodatter": Year(
        months_ago=8,
        sessions=(8, 5, 2),
        plan=Plan(
            "Hanne bliver boende i sin lejlighed med støtte, og konflikterne med naboerne ophører.",
            10,
            (
                Action("social@kk", "Boligsocial indsats sammen med boligselskabet.", -15),
                Action("psykiatri@kk", "Opfølgning på medicin i ambulatoriet.", 1),
                Action("psykiatri@kk", "Udskrivningskonference med kommunen.", -90, True),
            ),
        ),
        consents=(
            Consent("person", "obtained", 7),
            Consent("person", "withdrawn", 200, "Trak samtykket tilbage ved mødet i ambulatoriet."),
        ),
    ),
    "Jonas Testesen": Year(
        months_ago=9,
        sessions=(9, 3),
        plan=Plan(
            "Jonas har bolig, job og et netværk på løsladelsesdagen.",
            30,
            (
                Action("kriminalforsorg@kk", "Udslusningsplan med bolig og job.", -5),
                Action("kriminalforsorg@kk", "Første samtale før løsladelsen.", -60, True),
                Action("social@kk", "Skaffe bolig til løsladelsesdagen.", 30),
                Action("politi@kk", "Orientering om vilkår ved løsladelsen.", 20),
            ),
        ),
        consents=(Consent("person", "obtained", 10),),
    ),
    "Emma Opdigtetsen": Year(
        months_ago=6,
        sessions=(6, 4, 2),
        plan=Plan(
            "Emma stopper delingen af billeder, og klassen får ro.",
            14,
            (
                Action("koordinator@odense", "Indkalde forældrene til samtale.", -7),
                Action("formand@odense", "Tilbyde familien støtte fra Familiehuset.", 3),
                Action("politi@odense", "Forebyggende samtale om deling af billeder.", -25, True),
                Action("politi@odense", "Følge op med den unge efter samtalen.", 4),
                Action("skole@odense", "Trivselssamtale i klassen om digital dannelse.", -3),
            ),
        ),
        consents=(Consent("custody_holder", "obtained", 4),),
    ),
}

STORIES = [
    Story(
        "noah",
        "SSP Nørrebro",
        "skole@kk",
        "Noah Påfundsen",
        "0904124417",
        ("skolefravaer", "vold"),
        "Slåskampe i frikvartererne og stigende fravær siden sommerferien.",
        "bring_to_forum",
        months_ago=7,
        sessions=(7, 4, 1),
        plan=Plan(
            "Noah trives i skolen og har en fritidsaktivitet.",
            20,
            (
                Action("skole@kk", "Mentorordning på skolen.", -60, True),
                Action("koordinator@kk", "Indkalde familien til netværksmøde.", -4),
                Action("formand@kk", "Afklare fritidsjob gennem ungdomsskolen.", 4),
                Action("social@kk", "Vurdere behov for kontaktperson.", 25),
            ),
        ),
        consents=(Consent("custody_holder", "obtained", 6),),
    ),
    Story(
        "ella",
        "SSP Nørrebro",
        "politi@kk",
        "Ella Prøvelund",
        "1710114283",
        ("berigelse",),
        "Butikstyveri to gange på en måned sammen med veninder.",
        "bring_to_forum",
        months_ago=4,
        sessions=(4, 1),
        plan=Plan(
            "Ella begår ikke ny kriminalitet og har voksenkontakt efter skole.",
            30,
            (
                Action("politi@kk", "Tilbyde deltagelse i konfliktråd.", 9),
                Action("skole@kk", "Samtale med klasselæreren om trivsel.", -20, True),
            ),
        ),
        consents=(Consent("custody_holder", "refused", 3),),
    ),
    Story(
        "victor",
        "SSP Nørrebro",
        "social@kk",
        "Victor Grænsesen",
        "",
        ("narkotika_alkohol", "utryghed"),
        "Ryger hash dagligt og opholder sig om natten i opgangen med ældre unge.",
        "bring_to_forum",
        months_ago=11,
        sessions=(11, 8, 5, 2),
        plan=Plan(
            "Victor gennemfører 10. klasse og har en plan for tiden efter det fyldte 18. år.",
            7,
            (
                Action("skole@kk", "Plan for afslutning af 10. klasse og videre uddannelse.", -3),
                Action("koordinator@kk", "Forberede overgangen til SSP+ ved 18 år.", 10),
                Action("social@kk", "Vurdere efterværn efter det fyldte 18. år.", 6),
            ),
        ),
        consents=(Consent("young_person", "obtained", 8),),
    ),
    Story(
        "mads",
        "SSP Nørrebro",
        "politi@kk",
        "Mads Eksemplar",
        "2502114376",
        ("haervaerk",),
        "Graffiti og knuste ruder ved skolen i weekenderne.",
        "bring_to_forum",
        months_ago=9,
        sessions=(9, 6, 3),
        plan=Plan(
            "Mads kommer videre uden ny kriminalitet.",
            None,
            (
                Action("politi@kk", "Bekymringssamtale med Mads og forældrene.", -200, True),
                Action("skole@kk", "Skoleskift med mentor.", -150, True),
            ),
        ),
    ),
    Story(
        "sofia",
        "SSP Nørrebro",
        "skole@kk",
        "Sofia Tænktsen",
        "2306134122",
        ("digital",),
        "Bliver presset til at sende billeder af sig selv af en ældre bekendt.",
        "pending",
        days_ago=2,
    ),
    Story(
        "freja",
        "SSP Nørrebro",
        "politi@kk",
        "Freja Påhitsen",
        "0611124488",
        ("vaaben",),
        "Fundet med en kniv i tasken ved en kontrol på Nørrebrogade.",
        "pending",
        days_ago=6,
    ),
    Story(
        "alma",
        "SSP Nørrebro",
        "skole@kk",
        "Alma Opdigtsdatter",
        "0301124530",
        ("skolefravaer",),
        "Fravær efter en konflikt i klassen.",
        "no_action",
        months_ago=2,
        reason="Skolen har selv iværksat støtte, og fraværet er faldet igen.",
    ),
    Story(
        "william",
        "SSP Nørrebro",
        "politi@kk",
        "William Fiktionsen",
        "1408104612",
        ("vold_naere_relationer", "omsorgssvigt"),
        "Politiet tilkaldt til hjemmet to gange; den unge er bekymret for sin mor.",
        "passed_on",
        months_ago=1,
        reason="Sagen handler om hjemmet og hører til i § 115-udvalget.",
        target="§ 115-udvalget København",
    ),
    Story(
        "bent",
        "PSP København",
        "psykiatri@kk",
        "Bent Prøvemand",
        "1207850413",
        ("psykisk_saarbarhed", "utryghed"),
        "Råber trusler i opgangen efter udeblevet behandling.",
        "bring_to_forum",
        months_ago=5,
        sessions=(5, 2),
        plan=Plan(
            "Bent er i stabil behandling og har en fast kontaktperson.",
            40,
            (
                Action("psykiatri@kk", "Tid i distriktspsykiatrien.", -2),
                Action("politi@kk", "Orientering af nærpolitiet om den aftalte kontaktperson.", 15),
            ),
        ),
    ),
    Story(
        "grethe",
        "PSP København",
        "social@kk",
        "Grethe Demosen",
        "0305670224",
        ("misbrug",),
        "Naboer klager over støj og fremmede i lejligheden om natten.",
        "pending",
        days_ago=5,
    ),
    Story(
        "karl",
        "Infohus København",
        "politi@kk",
        "Karl Tænkestrup",
        "1911064239",
        ("radikalisering",),
        "Deler ekstremistisk materiale i en lukket gruppe og søger kontakt til miljøet.",
        "bring_to_forum",
        months_ago=1,
    ),
    Story(
        "frederik",
        "SSP Odense Øst",
        "skole@odense",
        "Frederik Fiktivsen",
        "0702114711",
        ("skolefravaer", "berigelse"),
        "Højt fravær og mistanke om cykeltyverier sammen med ældre drenge.",
        "bring_to_forum",
        months_ago=8,
        sessions=(8, 4, 2),
        plan=Plan(
            "Frederik kommer i skole og bruger fritiden i klubben.",
            5,
            (
                Action("formand@odense", "Vurdere behov for familiebehandling.", -4),
                Action("skole@odense", "Fraværsplan med ugentlig opfølgning.", 6),
                Action("social@odense", "Kontaktperson efter serviceloven.", -6),
                Action("koordinator@odense", "Koordinere med fritidsklubben.", 9),
            ),
        ),
        consents=(Consent("custody_holder", "obtained", 5),),
    ),
    Story(
        "storm",
        "SSP Odense Øst",
        "politi@odense",
        "Storm Testmand",
        "1209114577",
        ("haervaerk", "utryghed"),
        "Kaster med sten mod busser sammen med en gruppe.",
        "bring_to_forum",
        months_ago=10,
        sessions=(10, 8),
        plan=Plan(
            "Storm holder sig fra gruppen og passer sin fritidsaktivitet.",
            None,
            (
                Action("skole@odense", "Samtale med forældrene om aftenerne.", -250, True),
                Action("social@odense", "Plads i fodboldklubben.", -240, True),
            ),
        ),
    ),
    Story(
        "ida",
        "SSP Odense Øst",
        "politi@odense",
        "Ida Opdigtet",
        "2809134620",
        ("utryghed",),
        "Truffet sent om aftenen ved stationen flere gange med ældre unge.",
        "pending",
        days_ago=3,
    ),
    Story(
        "oscar",
        "SSP Odense Øst",
        "social@odense",
        "Oscar Prøvesen",
        "1503124533",
        ("omsorgssvigt",),
        "Mor har bedt om hjælp efter en skilsmisse.",
        "no_action",
        months_ago=3,
        reason="Familien får allerede hjælp efter serviceloven; ingen kriminalpræventiv bekymring.",
    ),
    Story(
        "malthe",
        "SSP+ Odense",
        "politi@odense",
        "Malthe Demomand",
        "3008054101",
        ("narkotika_alkohol",),
        "Mistanke om salg af hash fra lejligheden.",
        "bring_to_forum",
        months_ago=5,
        sessions=(5, 2),
        plan=Plan(
            "Malthe kommer i misbrugsbehandling og stopper salget.",
            12,
            (
                Action("politi@odense", "Bekymringssamtale om narkotikasalget.", -10),
                Action("social@odense", "Misbrugsbehandling og hjælp til bolig.", 2),
                Action("koordinator@odense", "Samle netværket til opfølgning.", 16),
            ),
        ),
        consents=(Consent("person", "obtained", 9),),
    ),
]

# The person whose CPR shows that the year was seeded (the life is built once, as a whole).
ANCHOR = STORIES[0]

# Days ahead of the next session of each forum with open case files.
UPCOMING = {
    "SSP Nørrebro": 8,
    "SSP+ København": 15,
    "PSP København": 12,
    "KSP Hovedstaden": 19,
    "§ 115-udvalget København": 10,
    "Infohus København": 17,
    "SSP Odense Øst": 9,
    "SSP+ Odense": 14,
}

# Reads for the DPO's pages: who opens whose page (story keys or cast names). The police
# officer in København opens far more persons than the peers: the "unusual access" rule.
BROWSING = {
    "koordinator@kk": ("Mikkel Demosen", "noah"),
    "formand@kk": ("Mikkel Demosen",),
    "skole@kk": ("Mikkel Demosen", "victor"),
    "social@kk": ("Hanne Demodatter", "Jonas Testesen"),
    "psykiatri@kk": ("Hanne Demodatter",),
    "kriminalforsorg@kk": ("Jonas Testesen",),
    "koordinator@odense": ("Emma Opdigtetsen", "frederik"),
    "politi@odense": ("Emma Opdigtetsen",),
}
