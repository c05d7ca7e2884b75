"""Word-cloud answers: normalisation (case, spacing, accents) and a Dutch stop-word list."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable

WORD_MAX = 40
NORMALISED_MAX = 300

# Function words that say nothing on their own in a cloud (Dutch, with a few English ones people type).
STOP_WORDS = frozenset("""
aan al alles als altijd andere ben bij daar dan dat de der deze die dit doch doen door dus een eens en er ge geen
geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is ja je kan kon kunnen maar me meer
men met mij mijn moet na naar niet niets nog nu of om omdat onder ons ook op over reeds te tegen toch toen tot u uit
uw van veel voor want waren was wat we wel werd wezen wie wil worden wordt zal ze zei zelf zich zij zijn zo zonder
zou the a an and or of to is it
""".split())


def normalise(text: str) -> str:
    """'  Verbinding!! ' and 'verbínding' are the same answer: lower case, no accents, single spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"[^\w\s-]", " ", text.lower())
    # NFKD can make a text many times longer ("ﷺ" is 18 characters): the key must fit its 300-character column.
    return " ".join(text.split())[:NORMALISED_MAX]


def counts_for_cloud(counts: dict[str, int]) -> dict[str, int]:
    """Drop answers made only of stop words."""
    return {word: n for word, n in counts.items() if word and not all(part in STOP_WORDS for part in word.split())}


def display_form(text: str) -> str:
    """An answer as the cloud shows it: like `normalise`, but with its accents ('Efficiënt!' -> 'efficiënt').
    An acronym typed in capitals ('AI') keeps them."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    letters = [c for c in text if c.isalpha()]
    acronym = len(letters) >= 2 and all(c.isupper() for c in letters)
    text = re.sub(r"[^\w\s-]", " ", text if acronym else text.lower())
    return " ".join(text.split())[:NORMALISED_MAX]


def display_forms(typed: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The cloud's label for each key (normalised form): the form people typed most often. On a tie the form
    with the most accents wins ('efficiënt' over 'efficient': the key has lost them, the spelling has not), then
    the alphabetically first, so every screen shows the same label. `typed` is (key, text as typed) pairs."""
    seen: dict[str, Counter[str]] = {}
    for key, text in typed:
        form = display_form(text)
        if key and normalise(form) == key:  # a typed text whose form would be another answer is not a label
            seen.setdefault(key, Counter())[form] += 1
    return {key: min(forms.items(), key=lambda item: (-item[1], -_marks(item[0]), item[0]))[0]
            for key, forms in seen.items()}


def _marks(form: str) -> int:
    return sum(1 for c in unicodedata.normalize("NFD", form) if unicodedata.combining(c))
