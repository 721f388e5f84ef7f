"""Denmark's 98 municipalities with their police district and region (kommunekode, name)."""

from __future__ import annotations

REGIONS = [
    "Region Hovedstaden",
    "Region Sjælland",
    "Region Syddanmark",
    "Region Midtjylland",
    "Region Nordjylland",
]

# police district -> its municipalities "code name" (the region follows from the code below)
DISTRICTS: dict[str, list[str]] = {
    "Københavns Politi": ["101 København", "147 Frederiksberg", "155 Dragør", "185 Tårnby"],
    "Københavns Vestegns Politi": [
        "151 Ballerup",
        "153 Brøndby",
        "161 Glostrup",
        "163 Herlev",
        "165 Albertslund",
        "167 Hvidovre",
        "169 Høje-Taastrup",
        "175 Rødovre",
        "183 Ishøj",
        "187 Vallensbæk",
    ],
    "Nordsjællands Politi": [
        "157 Gentofte",
        "159 Gladsaxe",
        "173 Lyngby-Taarbæk",
        "190 Furesø",
        "201 Allerød",
        "210 Fredensborg",
        "217 Helsingør",
        "219 Hillerød",
        "223 Hørsholm",
        "230 Rudersdal",
        "240 Egedal",
        "250 Frederikssund",
        "260 Halsnæs",
        "270 Gribskov",
    ],
    "Bornholms Politi": ["400 Bornholm"],
    "Midt- og Vestsjællands Politi": [
        "253 Greve",
        "259 Køge",
        "265 Roskilde",
        "269 Solrød",
        "306 Odsherred",
        "316 Holbæk",
        "326 Kalundborg",
        "329 Ringsted",
        "330 Slagelse",
        "340 Sorø",
        "350 Lejre",
    ],
    "Sydsjællands og Lolland-Falsters Politi": [
        "320 Faxe",
        "336 Stevns",
        "360 Lolland",
        "370 Næstved",
        "376 Guldborgsund",
        "390 Vordingborg",
    ],
    "Fyns Politi": [
        "410 Middelfart",
        "420 Assens",
        "430 Faaborg-Midtfyn",
        "440 Kerteminde",
        "450 Nyborg",
        "461 Odense",
        "479 Svendborg",
        "480 Nordfyns",
        "482 Langeland",
        "492 Ærø",
    ],
    "Syd- og Sønderjyllands Politi": [
        "510 Haderslev",
        "540 Sønderborg",
        "550 Tønder",
        "561 Esbjerg",
        "563 Fanø",
        "573 Varde",
        "575 Vejen",
        "580 Aabenraa",
    ],
    "Sydøstjyllands Politi": [
        "530 Billund",
        "607 Fredericia",
        "615 Horsens",
        "621 Kolding",
        "630 Vejle",
        "766 Hedensted",
    ],
    "Østjyllands Politi": [
        "706 Syddjurs",
        "707 Norddjurs",
        "710 Favrskov",
        "727 Odder",
        "730 Randers",
        "741 Samsø",
        "746 Skanderborg",
        "751 Aarhus",
    ],
    "Midt- og Vestjyllands Politi": [
        "657 Herning",
        "661 Holstebro",
        "665 Lemvig",
        "671 Struer",
        "740 Silkeborg",
        "756 Ikast-Brande",
        "760 Ringkøbing-Skjern",
        "773 Morsø",
        "779 Skive",
        "787 Thisted",
        "791 Viborg",
    ],
    "Nordjyllands Politi": [
        "810 Brønderslev",
        "813 Frederikshavn",
        "820 Vesthimmerlands",
        "825 Læsø",
        "840 Rebild",
        "846 Mariagerfjord",
        "849 Jammerbugt",
        "851 Aalborg",
        "860 Hjørring",
    ],
}


def region_of(code: str) -> str:
    """The region by kommunekode (the codes run by region, with a few exceptions)."""
    number = int(code)
    if (number <= 270 and number not in (253, 259, 265, 269)) or number == 400:
        return REGIONS[0]
    if number < 400:
        return REGIONS[1]
    if number < 615 or number in (621, 630):
        return REGIONS[2]
    if number in (773, 787) or number >= 810:
        return REGIONS[4]
    return REGIONS[3]


def municipalities() -> list[tuple[str, str, str, str]]:
    """(code, name, police district, region) for all 98, grouped by police district."""
    rows = []
    for district, entries in DISTRICTS.items():
        for entry in entries:
            code, name = entry.split(" ", 1)
            rows.append((code, name, district, region_of(code)))
    return rows
