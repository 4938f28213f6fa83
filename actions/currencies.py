"""Currencies as customers name them: ISO codes, symbols, names and slang, in any order.

One table maps each ISO code to the name the bot uses for it and the spellings customers type
("quid", "Swiss francs", "zł"); everything that needs to recognise a currency goes through
``find_currencies`` or ``normalise_currency``. The bot always answers with its own name for a
currency, never with the customer's spelling.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# ISO code -> (the bot's name for it, lower-case spellings customers use besides the code itself).
# "CRYPTO" is not ISO: it lets the bot say "we don't exchange cryptocurrencies" by name.
_TABLE: dict[str, tuple[str, ...]] = {
    "GBP": (
        "British pounds",
        "pound",
        "pounds",
        "sterling",
        "pound sterling",
        "pounds sterling",
        "quid",
        "british pound",
        "british pounds",
    ),
    "EUR": ("euros", "euro", "euros"),
    "USD": ("US dollars", "dollar", "dollars", "bucks", "us dollar", "us dollars", "american dollars", "usd"),
    "CHF": ("Swiss francs", "franc", "francs", "swiss franc", "swiss francs"),
    "JPY": ("Japanese yen", "yen", "japanese yen"),
    "PLN": ("Polish zloty", "zloty", "zlotys", "złoty", "polish zloty"),
    "SEK": ("Swedish kronor", "krona", "kronor", "swedish krona", "swedish kronor"),
    "NOK": ("Norwegian kroner", "krone", "kroner", "norwegian krone", "norwegian kroner"),
    "DKK": ("Danish kroner", "danish krone", "danish kroner"),
    "CZK": ("Czech koruna", "koruna", "czech koruna"),
    "HUF": ("Hungarian forint", "forint", "forints", "hungarian forint"),
    "RON": ("Romanian lei", "leu", "lei", "romanian leu", "romanian lei"),
    "BGN": ("Bulgarian lev", "lev", "leva", "bulgarian lev"),
    "ISK": ("Icelandic krónur", "icelandic krona", "icelandic krónur"),
    "AUD": ("Australian dollars", "australian dollar", "australian dollars", "aussie dollars"),
    "NZD": ("New Zealand dollars", "new zealand dollar", "new zealand dollars", "kiwi dollars"),
    "CAD": ("Canadian dollars", "canadian dollar", "canadian dollars"),
    "HKD": ("Hong Kong dollars", "hong kong dollar", "hong kong dollars"),
    "SGD": ("Singapore dollars", "singapore dollar", "singapore dollars"),
    "CNY": ("Chinese yuan", "yuan", "renminbi", "rmb", "chinese yuan"),
    "INR": ("Indian rupees", "rupee", "rupees", "indian rupee", "indian rupees"),
    "THB": ("Thai baht", "baht", "thai baht"),
    "ZAR": ("South African rand", "rand", "south african rand"),
    "MXN": ("Mexican pesos", "peso", "pesos", "mexican peso", "mexican pesos"),
    "BRL": ("Brazilian reais", "reais", "brazilian real", "brazilian reais"),
    "ILS": ("Israeli shekels", "shekel", "shekels", "israeli shekel", "israeli shekels"),
    "AED": ("UAE dirhams", "dirham", "dirhams", "uae dirham", "uae dirhams"),
    "KRW": ("South Korean won", "korean won", "south korean won"),
    "TRY": ("Turkish lira", "lira", "turkish lira"),
    "UAH": ("Ukrainian hryvnia", "hryvnia", "hryvnias"),
    "RUB": ("Russian roubles", "rouble", "roubles", "ruble", "rubles"),
    "ARS": ("Argentine pesos", "argentine peso", "argentine pesos"),
    "EGP": ("Egyptian pounds", "egyptian pound", "egyptian pounds"),
    "NGN": ("Nigerian naira", "naira"),
    "KES": ("Kenyan shillings", "shilling", "shillings", "kenyan shillings"),
    "CRYPTO": (
        "cryptocurrencies",
        "bitcoin",
        "bitcoins",
        "btc",
        "ethereum",
        "crypto",
        "cryptocurrency",
        "dogecoin",
    ),
}
CURRENCY_NAMES: dict[str, str] = {code: names[0] for code, names in _TABLE.items()}
_ALIASES: dict[str, str] = {spelling: code for code, names in _TABLE.items() for spelling in names[1:]}
# ISO codes that are also everyday words are only read in capitals ("TRY", not "try again").
_WORDLIKE_CODES = {"TRY", "ALL", "CAD", "RON", "RUB", "ARS"}
_SYMBOLS = {"£": "GBP", "€": "EUR", "$": "USD", "¥": "JPY", "₹": "INR", "₺": "TRY", "₩": "KRW"}
_PREFIXED_SYMBOLS = {
    "us$": "USD",
    "c$": "CAD",
    "ca$": "CAD",
    "a$": "AUD",
    "au$": "AUD",
    "nz$": "NZD",
    "hk$": "HKD",
    "s$": "SGD",
    "r$": "BRL",
}

# Longer spellings first, so "canadian dollars" wins over "dollars".
_words = sorted({*_ALIASES, *(code.lower() for code in _TABLE if code != "CRYPTO")}, key=len, reverse=True)
_CURRENCY_RE = re.compile(
    r"(?P<prefixed>" + "|".join(re.escape(s) for s in sorted(_PREFIXED_SYMBOLS, key=len, reverse=True)) + r")"
    r"|(?P<symbol>[" + "".join(_SYMBOLS) + r"])"
    r"|(?<![\w])(?P<word>" + "|".join(re.escape(w) for w in _words) + r")(?![\w])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class CurrencyMention:
    code: str
    start: int
    end: int


def find_currencies(text: str) -> list[CurrencyMention]:
    """Every currency the text names, in order of appearance."""
    found: list[CurrencyMention] = []
    for match in _CURRENCY_RE.finditer(text):
        token = match.group(0)
        if match.group("prefixed"):
            code = _PREFIXED_SYMBOLS[token.lower()]
        elif match.group("symbol"):
            code = _SYMBOLS[token]
        else:
            lower = token.lower()
            if lower.upper() in _WORDLIKE_CODES and not token.isupper():  # "try", "ron": words, not codes
                continue
            code = _ALIASES.get(lower) or lower.upper()
        found.append(CurrencyMention(code, match.start(), match.end()))
    return found


def normalise_currency(value: object) -> str | None:
    """ISO code for one currency name, code or symbol ("euros", "eur", "€"); None when unknown."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 40:
        return None
    upper = text.upper()
    if upper in CURRENCY_NAMES and (upper not in _WORDLIKE_CODES or text.isupper()):
        return upper
    mentions = find_currencies(text)
    return mentions[0].code if len(mentions) == 1 else None


def currency_name(code: str) -> str:
    return CURRENCY_NAMES.get(code, code)


# Where a customer spends, as they name it -> the currency a card payment there is in ("I spend in Spain").
COUNTRY_CURRENCIES: dict[str, str] = {
    **dict.fromkeys(
        (
            "spain", "france", "germany", "italy", "portugal", "greece", "ireland", "netherlands", "holland",
            "belgium", "austria", "finland", "croatia", "malta", "cyprus", "slovakia", "slovenia", "estonia",
            "latvia", "lithuania", "luxembourg", "europe", "eurozone", "paris", "madrid", "barcelona",
            "rome", "berlin", "amsterdam", "lisbon", "dublin", "majorca", "mallorca", "ibiza", "tenerife",
        ),
        "EUR",
    ),
    **dict.fromkeys(("the us", "the usa", "usa", "america", "the states", "new york", "florida"), "USD"),
    "switzerland": "CHF", "japan": "JPY", "poland": "PLN", "sweden": "SEK", "norway": "NOK",
    "denmark": "DKK", "czech republic": "CZK", "czechia": "CZK", "prague": "CZK", "hungary": "HUF",
    "romania": "RON", "bulgaria": "BGN", "australia": "AUD", "new zealand": "NZD", "canada": "CAD",
    "hong kong": "HKD", "singapore": "SGD", "china": "CNY", "india": "INR", "thailand": "THB",
    "south africa": "ZAR", "mexico": "MXN", "turkey": "TRY", "dubai": "AED", "israel": "ILS",
    "the uk": "GBP", "britain": "GBP", "england": "GBP", "scotland": "GBP", "wales": "GBP",
}
_COUNTRY_RE = re.compile(
    r"\b(" + "|".join(re.escape(c) for c in sorted(COUNTRY_CURRENCIES, key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)


def country_currency(text: str) -> str | None:
    """The currency of the first country or city the text names ("in Spain" -> EUR), else None."""
    match = _COUNTRY_RE.search(text)
    return COUNTRY_CURRENCIES[match.group(1).lower()] if match else None
