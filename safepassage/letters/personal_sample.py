"""The sample of a personal letter: one person writing in their own name.

The campaign's sample letter is written for coalitions ("we hand over a
petition signed by…, their names follow"); a signer writing alone needs other
words. This text is the application's own, one per language through the usual
translation catalogues: first person singular, with the signer's name and
city, the petition they signed and the mission they write to. The signer then
changes it as they like (the tool asks them to use their own words).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop, pgettext

from safepassage.campaigns.models import Petition
from safepassage.directory.models import Mission
from safepassage.letters.merge import long_date
from safepassage.lib import geo
from safepassage.signatures.models import Signature


@dataclass(frozen=True)
class Sample:
    subject: str
    body: str
    closing: str
    language: str


# The first sentence: marked here, translated where it is used and to tell whether
# the letter is written in a language at all.
_INTRODUCTION = gettext_noop(
    "My name is %(name)s. I live in %(city)s, %(country)s, and I am writing to you in my own name."
)


def _written_in(language: str) -> bool:
    """Whether the letter is translated into ``language`` (else it would mix languages)."""
    if language.split("-")[0] == "en":
        return True
    with translation.override(language):
        return gettext(_INTRODUCTION) != _INTRODUCTION


def letter_language(signature: Signature) -> str:
    """The signer's language if the letter is written in it, else the petition's, else English."""
    available = {code.lower() for code, _name in settings.LANGUAGES}
    petition = signature.petition
    for candidate in (signature.language, petition.default_language, "en"):
        code = (candidate or "").lower()
        for option in (code, code.split("-")[0]):
            if option in available and _written_in(option):
                return option
    return "en"


# Languages that write the family name first (김지우, 山田太郎).
_FAMILY_NAME_FIRST = ("ko", "ja", "zh")


def _ideographic(text: str) -> bool:
    """Whether the name is written in Hangul, kana or CJK ideographs (no spaces between)."""
    return any(
        "\u1100" <= char <= "\u11ff"
        or "\u3040" <= char <= "\u30ff"
        or "\u3400" <= char <= "\u9fff"
        or "\uac00" <= char <= "\ud7af"
        for char in text
    )


def display_name(first: str, last: str, language: str) -> str:
    """The signer's name as their language writes it: 김지우, "Kim Ji-woo", "Ji-woo Kim"."""
    first, last = first.strip(), last.strip()
    if language.split("-")[0] in _FAMILY_NAME_FIRST and first and last:
        return f"{last}{first}" if _ideographic(last + first) else f"{last} {first}"
    return " ".join(part for part in (first, last) if part)


def _petition_title(petition: Petition, language: str) -> str:
    text = petition.text(language)
    return text.title.strip() if text is not None else ""


def sample(signature: Signature, mission: Mission | None, language: str) -> Sample:
    """The personal letter in ``language``, filled in for the signer and ``mission``."""
    petition = signature.petition
    # The campaign's title and addressee as written for the letter's language.
    campaign = petition.campaign.in_language(language)
    name = display_name(signature.first_name, signature.last_name, language)
    title = _petition_title(petition, language)
    with translation.override(language):
        values = {
            "name": name,
            "city": signature.city,
            "country": geo.country_name(signature.country, language),
            "petition": title,
            "target_person": campaign.target_person,
            "target_title": campaign.target_title,
            "mission": mission.in_language(language).name if mission else "",
            "campaign": campaign.title,
            "day": long_date(campaign.day_of_action, language),
        }
        paragraphs = [
            pgettext("personal letter", "Your Excellency,"),
            gettext(_INTRODUCTION) % values,
            (
                gettext(
                    "I have signed the petition “%(petition)s” to %(target_person)s, "
                    "%(target_title)s."
                )
                if title
                else gettext("I have signed the petition to %(target_person)s, %(target_title)s.")
            )
            % values,
            (
                gettext(
                    "I am writing to the %(mission)s and ask you to forward my letter "
                    "to %(target_person)s."
                )
                if mission
                else gettext("I ask you to forward my letter to %(target_person)s.")
            )
            % values,
            gettext(
                "On %(day)s, people in many cities mark “%(campaign)s”. With this letter "
                "I join them."
            )
            % values,
            gettext("I respectfully ask you to hear my appeal and to answer it."),
        ]
        subject = gettext("My personal appeal to %(target_person)s") % values
        closing = pgettext("personal letter", "Yours respectfully,")
    return Sample(subject, "\n\n".join(paragraphs) + "\n", closing, language)
