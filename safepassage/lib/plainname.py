"""Whether a name a signer typed may appear in a mail we send.

The signing and RSVP forms let anyone type any text as a name and any
address as the recipient, so a name copied into the mail would let a
stranger send the campaign's mail, from the campaign's domain, saying
whatever they like ("Dear Go to https://evil.example/verify now,"). Mail
therefore greets a person by name only when the name is plainly a name:

- after NFKC normalisation (so fullwidth letters around a fullwidth dot
  are judged as "evil.example" would be), every character is a letter (Unicode category L*),
  a combining mark (M*) following a letter, a space between words, a
  hyphen-minus or an apostrophe (' or U+2019) inside a word;
- no digits, no dots of any script, no "/", ":", "@", no brackets, no
  symbols, no control or format characters (bidi overrides such as
  U+202E, zero-width joiners), no other punctuation: nothing a mail client
  could turn into a link or an address, and nothing that reorders or hides
  text;
- at most MAX_WORDS words and MAX_LENGTH characters, no word longer than
  MAX_WORD, at most MAX_MARKS combining marks in a row: room for
  "María José", "Jean-Pierre", "O'Brien", "김민수", "山田", "محمد", not
  for a sentence.

Anything else is not shown at all; the caller greets with a fixed phrase.
The check is deliberately strict: a real name it refuses costs a warmer
greeting, a lure it let through could cost a signer's safety.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 30
MAX_WORDS = 3
MAX_WORD = 20
MAX_MARKS = 3
_JOINERS = frozenset("-'\u2019")


def plain_name(text: str) -> str:
    """The name, NFKC-normalised, if it passes the check above; otherwise ""."""
    name = unicodedata.normalize("NFKC", text or "")
    if not name or len(name) > MAX_LENGTH:
        return ""
    words = name.split(" ")
    if len(words) > MAX_WORDS:
        return ""
    for word in words:
        if not _plain_word(word):
            return ""
    return name


def _plain_word(word: str) -> bool:
    if not word or len(word) > MAX_WORD:
        return False  # also: leading, trailing or double spaces
    if word[0] in _JOINERS or word[-1] in _JOINERS:
        return False
    previous = ""
    marks = 0
    for char in word:
        category = unicodedata.category(char)
        if category[0] == "L":
            marks = 0
        elif category[0] == "M":
            marks += 1
            if not previous or previous in _JOINERS or marks > MAX_MARKS:
                return False
        elif char in _JOINERS:
            if previous in _JOINERS:
                return False  # "--", "''": no runs of joiners
            marks = 0
        else:
            return False
        previous = char
    return True
