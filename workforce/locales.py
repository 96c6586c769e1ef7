"""ISO 3166 locale codes, as Mechanical Turk's LocaleValue takes them."""

import re

# ISO 3166-1 alpha-2 (a LocaleValue's Country): every officially assigned code.
COUNTRY_CODES = """
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ
EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW
GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY
KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV
MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY
QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG
TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM
ZW
""".split()
COUNTRIES = frozenset(COUNTRY_CODES)

# ISO 3166-2's part after the country and hyphen: one to three letters or digits ("WA").
SUBDIVISION_REGEX = re.compile(r"^[A-Z0-9]{1,3}$")


def locale_problems(value) -> list[str]:
    """What is wrong with a LocaleValue {"Country": "US", "Subdivision": "WA"} (Subdivision
    optional), as messages; empty when it is fine."""
    if not isinstance(value, dict):
        return ['Give a locale as {"Country": "US"} with an optional "Subdivision".']
    unknown = sorted(set(value) - {"Country", "Subdivision"})
    if unknown:
        return [f"Unknown locale field {name!r}." for name in unknown]
    problems = []
    if value.get("Country") not in COUNTRIES:
        problems.append(f"{value.get('Country')!r} is not an ISO 3166-1 alpha-2 country code.")
    subdivision = value.get("Subdivision", "")
    if subdivision and not (
        isinstance(subdivision, str) and SUBDIVISION_REGEX.fullmatch(subdivision)
    ):
        problems.append(f"{subdivision!r} is not an ISO 3166-2 subdivision code (e.g. WA).")
    return problems
