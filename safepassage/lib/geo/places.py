"""Countries and their first-level subdivisions (ISO 3166-1 and 3166-2), offline.

Names come from pycountry and are translated with its bundled gettext
catalogues, so the signing form can show them in the signer's language.
"""

from __future__ import annotations

import gettext
import locale
from functools import cache

import pycountry

# Django language codes that differ from the catalogue names pycountry ships.
_CATALOGUE_NAMES = {
    "zh-hans": "zh_CN",
    "zh-hant": "zh_TW",
    # The coalition writes Portuguese for Brazil (docs/translations.md).
    "pt": "pt_BR",
    "pt-br": "pt_BR",
    "nb": "nb_NO",
}


@cache
def _translation(domain: str, language: str) -> gettext.NullTranslations:
    catalogue = _CATALOGUE_NAMES.get(language.lower(), language.split("-")[0])
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[catalogue], fallback=True)


def _sort_key(name: str) -> str:
    return locale.strxfrm(name.casefold()) if name.isascii() else name.casefold()


@cache
def countries(language: str = "en") -> tuple[tuple[str, str], ...]:
    """(alpha-2 code, localised common name) for every country, sorted by name."""
    translate = _translation("iso3166-1", language).gettext
    pairs = []
    for country in pycountry.countries:
        english = getattr(country, "common_name", None) or country.name
        pairs.append((country.alpha_2, translate(english)))
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


@cache
def country_codes() -> frozenset[str]:
    return frozenset(country.alpha_2 for country in pycountry.countries)


def country_name(code: str, language: str = "en") -> str:
    return dict(countries(language)).get(code.upper(), code)


@cache
def subdivisions(country_code: str, language: str = "en") -> tuple[tuple[str, str], ...]:
    """First-level ISO 3166-2 subdivisions of a country, localised and sorted.

    An empty tuple means the country has none; the form then asks for free text.
    """
    found = pycountry.subdivisions.get(country_code=country_code.upper()) or []  # type: ignore[no-untyped-call]
    translate = _translation("iso3166-2", language).gettext
    pairs = [(sub.code, translate(sub.name)) for sub in found if sub.parent_code is None]
    return tuple(sorted(pairs, key=lambda pair: _sort_key(pair[1])))


@cache
def _subdivision_index(country_code: str, language: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for sub in pycountry.subdivisions.get(country_code=country_code) or []:  # type: ignore[no-untyped-call]
        if sub.parent_code is None:
            index[sub.code.casefold()] = sub.code
            index[sub.name.casefold()] = sub.code
    for lang in ("en", language):
        for code, name in subdivisions(country_code, lang):
            index.setdefault(name.casefold(), code)
    return index


def find_subdivision(country_code: str, text: str, language: str = "en") -> str | None:
    """The code of a first-level subdivision given its code or a name in any form we know."""
    return _subdivision_index(country_code.upper(), language).get(text.strip().casefold())


def subdivision_name(code: str, language: str = "en") -> str:
    country_code = code.split("-")[0]
    return dict(subdivisions(country_code, language)).get(code, code)


@cache
def _all_subdivision_codes() -> frozenset[str]:
    return frozenset(sub.code for sub in pycountry.subdivisions)


def is_subdivision_code(code: str) -> bool:
    """Whether ``code`` is an ISO 3166-2 subdivision code (of any level)."""
    return code in _all_subdivision_codes()
