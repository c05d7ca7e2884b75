"""The word filter: Dutch and English profanity, slurs and insults, and an event's own extra words. Pure Python.

A match never refuses anything: the caller holds the text for the moderator and tells them which word it was.

Text is folded before matching: lower case, accents off ("kánker"), simple leetspeak ("k4nk3r", "sh!t", "a$$"),
letters typed three or more times collapsed ("kuttt", "fuuuck"), and letters spelled out one by one joined
("k.a.n.k.e.r", "k a n k e r"). Matching is on whole words. A list entry matches inside a longer word only where
it says so, which is what keeps "kassa", "analyse", "Scunthorpe", "class", "hoera", "negeren", "catering" and
"kleren" clean:

    kut          the word itself only
    kanker*      also every word it starts (kankerlijer, kankerzooi), except the tails after ~ (kankeronderzoek)
    *debiel      also every word it ends (randdebiel)
    *fuck*       anywhere in a word (motherfucker)
    zak hooi     these words in a row

The organiser's extra words use the same lines (one per line; * as above)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

REASON_MAX = 200  # the held_for columns
WILDCARD_MIN = 3  # letters an entry with * needs: "*a*" would hold every text with an a

# Leetspeak, applied only to words that also hold a letter: "2021" and "5" stay numbers, "k4nk3r" is a word.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"})
# A word: letters, digits, @ and $, with ! only between them ("sh!t"; a closing "kut!" is punctuation).
_WORD = re.compile(r"(?:[^\W_]|[@$])+(?:!+(?:[^\W_]|[@$])+)*")
_TRIPLE = re.compile(r"(.)\1{2,}")
# Between the letters of a word spelled out one by one: a few dots, dashes, spaces and the like.
_SPELLING_GAP = re.compile(r"[\s.\-_*/+~|]{1,3}")
_SPELLED_MIN = 3  # "k u t"; two letters in a row ("a b") are ordinary text

DUTCH = """
# Disease curses: the word and every compound it starts (kankerlijer, teringzooi, tyfushond, klerewijf), except
# the medical and ordinary words they also start (kankeronderzoek, kleren, takken, strontium).
kanker* ~onderzoek ~bestrijd ~patient ~cel ~fonds ~zorg ~verwekk ~registr ~screen ~centr ~instituut ~soort ~risico
        ~gezwel ~behandel ~diagnos ~medic ~preventie ~afdeling ~arts ~specialis ~overlev ~genez ~sterfte ~geval
        ~poli ~verpleeg ~ziekenhuis ~beleid ~vereniging ~therap ~medisch ~vorm ~weefsel ~test ~bestral ~chirurg
        ~uitzaai ~wetenschap ~gen ~cijfer ~vrij ~ervaring
tering*
tyfus*
tyfes*
tiefus*
tief
klere* ~n
kolere*
pokke* ~nvacc ~nvirus ~nepidem
pleuris*
pleur op
takke* ~n
godver*
goddomme
godsamme
godskolere
gvd
verdomme
sodemieter*
# Sex and the body
kut*
klote*
lul
lullen
lulletje
lulhannes
lulkoek
oetlul
neuk*
*neuker
hoer* ~a
*hoer
slet
sletten
sletje
sloerie
snol
teef
trut
trutten
wijf
wijven
schijt*
stront* ~ium
kak
zeikerd
gezeik
zeiklijer
# Insults
klootzak
klootzakken
kloothommel
eikel
eikels
sukkel
sukkels
*debiel
debielen
imbeciel
imbecielen
mongool
mongooltje
spast
spasten
hufter
hufters
schoft
schoften
rotzak
rotzakken
smeerlap
smeerlappen
klojo
lamzak
lapzwans
etterbak
vuilak
viespeuk
zakkenwasser
zak hooi
pedo
# Slurs
*neger
negers
negerin
nikker
nikkers
flikker
flikkers
spleetoog
spleetogen
poepchinees
kaffer
kaffers
tatta
lesbo
mietje
"""

ENGLISH = """
# Swearing
*fuck*
shit* ~ake ~zu
shite
bullshit
horseshit
dipshit
batshit
apeshit
chickenshit
cunt*
twat
twats
wank
wanker
wankers
wanking
bitch*
bastard
bastards
asshole*
arsehole*
ass
arse
jackass
dumbass
smartass
dickhead
prick
pricks
cocksucker
piss
pissed
pissing
pisser
pisshead
damn
damnit
dammit
goddamn*
crap
crappy
bollocks
bugger
slut*
whore*
skank
tits
titties
pussy
dildo
wtf
stfu
# Insults
moron
morons
imbecile
retard
retarded
retards
scumbag
douchebag
# Slurs
nigger*
nigga* ~rd
faggot*
fag
fags
tranny
trannies
spic
spics
kike
kikes
wetback
paki
pakis
gook
gooks
raghead
towelhead
spaz
beaner
"""


@dataclass(frozen=True)
class Term:
    """One list entry, folded: the words it is made of and where it may sit inside a longer word."""

    text: str  # as written in the list
    source: str  # "nl", "en" or "event"
    words: tuple[str, ...]
    open_start: bool = False  # "*debiel": the first word may be the end of a longer word
    open_end: bool = False  # "kanker*": the last word may be the start of a longer word
    unless: tuple[str, ...] = ()  # ... except when what follows it starts like this

    @property
    def letters(self) -> int:
        return sum(len(word) for word in self.words)


@dataclass(frozen=True)
class Match:
    """What the filter found: the word as it was typed, and the list entry it matched."""

    word: str
    term: str
    source: str

    @property
    def reason(self) -> str:
        """What is stored with a held text and shown to the moderator: the word as typed."""
        return self.word[:REASON_MAX]


@dataclass
class _Index:
    exact: dict[str, Term] = field(default_factory=dict)
    starts: dict[str, list[Term]] = field(default_factory=dict)
    ends: dict[str, list[Term]] = field(default_factory=dict)
    inside: list[Term] = field(default_factory=list)
    phrases: list[Term] = field(default_factory=list)

    def add(self, term: Term) -> None:
        if len(term.words) > 1:
            self.phrases.append(term)
        elif term.open_start and term.open_end:
            self.inside.append(term)
        elif term.open_end:
            self.starts.setdefault(term.words[0], []).append(term)
        elif term.open_start:
            self.ends.setdefault(term.words[0], []).append(term)
        else:
            self.exact.setdefault(term.words[0], term)

    def merged(self, terms: Iterable[Term]) -> _Index:
        index = _Index(dict(self.exact), {k: list(v) for k, v in self.starts.items()},
                       {k: list(v) for k, v in self.ends.items()}, list(self.inside), list(self.phrases))
        for term in terms:
            index.add(term)
        return index


@dataclass(frozen=True)
class _Word:
    start: int  # in the folded text
    end: int
    forms: tuple[str, ...]  # the folded word, with letters typed 3+ times collapsed to one and to two
    hyphen_next: bool = False  # joined to the next word by a hyphen ("kanker-onderzoek")


def _fold(text: str) -> tuple[str, list[int]]:
    """Lower case without accents or invisible characters, with each folded character's place in `text`."""
    folded: list[str] = []
    where: list[int] = []
    for i, char in enumerate(text):
        for part in unicodedata.normalize("NFKD", char.casefold()):
            if not unicodedata.combining(part) and unicodedata.category(part) != "Cf":
                folded.append(part)
                where.append(i)
    return "".join(folded), where


def _forms(raw: str) -> tuple[str, ...]:
    word = raw.translate(_LEET) if any(c.isalpha() for c in raw) else raw
    one, two = _TRIPLE.sub(r"\1", word), _TRIPLE.sub(r"\1\1", word)
    return (one,) if one == two else (one, two)


def _words(folded: str) -> tuple[list[_Word], list[_Word]]:
    """The words of a folded text, and the words spelled out one letter at a time in it ("k.a.n.k.e.r")."""
    found = list(_WORD.finditer(folded))
    words = [_Word(m.start(), m.end(), _forms(m.group()),
                   hyphen_next=i + 1 < len(found) and folded[m.end():found[i + 1].start()] == "-")
             for i, m in enumerate(found)]
    runs: list[list[re.Match[str]]] = []
    run: list[re.Match[str]] = []
    for m in found:
        if len(m.group()) == 1 and run and _SPELLING_GAP.fullmatch(folded[run[-1].end():m.start()]):
            run.append(m)
            continue
        runs.append(run)
        run = [m] if len(m.group()) == 1 else []
    runs.append(run)
    spelled = [_Word(r[0].start(), r[-1].end(), _forms("".join(m.group() for m in r)))
               for r in runs if len(r) >= _SPELLED_MIN]
    return words, spelled


def term(line: str, source: str = "event") -> Term | None:
    """A list line as a term; None when it has nothing to match (no letters or digits)."""
    parts = line.split()
    unless = tuple(_forms(_fold(p[1:])[0])[-1] for p in parts if p.startswith("~") and len(p) > 1)
    pattern = " ".join(p for p in parts if not p.startswith("~"))
    folded, _where = _fold(pattern)
    words = tuple(_forms(m.group())[-1] for m in _WORD.finditer(folded))
    if not words:
        return None
    return Term(text=pattern, source=source, words=words, open_start=pattern.startswith("*"),
                open_end=pattern.endswith("*"), unless=unless)


def terms(lines: Iterable[str], source: str) -> list[Term]:
    """The terms of a list: one per line, "#" starts a comment, an indented line continues the one above."""
    entries: list[str] = []
    for line in lines:
        text = line.split("#", 1)[0].rstrip()
        if text[:1].isspace() and entries:
            entries[-1] += " " + text.strip()
        elif text.strip():
            entries.append(text.strip())
    return [t for t in (term(entry, source) for entry in entries) if t is not None]


def extra_words(setting: str) -> tuple[str, ...]:
    """An event's extra words (its filter_words setting) as the lines check() takes."""
    return tuple(line.strip() for line in setting.splitlines() if line.strip())


_BUILTIN = _Index()
for _term in (*terms(DUTCH.splitlines(), "nl"), *terms(ENGLISH.splitlines(), "en")):
    _BUILTIN.add(_term)


@lru_cache(maxsize=128)
def _index(extra: tuple[str, ...]) -> _Index:
    return _BUILTIN.merged(t for t in (term(line) for line in extra) if t is not None) if extra else _BUILTIN


def _allowed_tail(entry: Term, tail: str) -> bool:
    return not (entry.unless and tail.startswith(entry.unless))


def _word_hit(index: _Index, word: _Word, following: _Word | None) -> Term | None:
    for form in word.forms:
        if form in index.exact:
            return index.exact[form]
        for k in range(1, len(form) + 1):
            for entry in index.starts.get(form[:k], ()):
                # "kanker-onderzoek" is "kankeronderzoek": the word after the hyphen is the tail.
                tail = form[k:] or (following.forms[0] if following is not None else "")
                if _allowed_tail(entry, tail):
                    return entry
            if form[-k:] in index.ends:
                return index.ends[form[-k:]][0]
        for entry in index.inside:
            at = form.find(entry.words[0])
            while at >= 0:
                if _allowed_tail(entry, form[at + len(entry.words[0]):]):
                    return entry
                at = form.find(entry.words[0], at + 1)
    return None


def _fits(entry: Term, position: int, form: str) -> bool:
    """Whether one word of a text is the given word of a phrase entry (its first word may end a longer word
    with a leading *, its last may start one with a trailing *)."""
    wanted = entry.words[position]
    if position == 0 and entry.open_start:
        return form.endswith(wanted)
    if position == len(entry.words) - 1 and entry.open_end:
        return form.startswith(wanted) and _allowed_tail(entry, form[len(wanted):])
    return form == wanted


def _phrase_at(index: _Index, words: list[_Word], i: int) -> tuple[Term, _Word] | None:
    """A phrase entry that starts at words[i], and the last word it covers."""
    for entry in index.phrases:
        size = len(entry.words)
        if i + size <= len(words) and all(any(_fits(entry, j, form) for form in words[i + j].forms)
                                          for j in range(size)):
            return entry, words[i + size - 1]
    return None


def check(text: str, extra: Iterable[str] = ()) -> Match | None:
    """The first word of `text` that is on the Dutch or English list or among `extra` (an event's own lines,
    see extra_words), or None."""
    if not text:
        return None
    index = _index(tuple(extra))
    folded, where = _fold(text)
    words, spelled = _words(folded)
    hits: list[tuple[_Word, _Word, Term]] = []  # (first word, last word, entry)
    for i, word in enumerate(words):
        phrase = _phrase_at(index, words, i) if index.phrases else None
        entry = phrase[0] if phrase else _word_hit(index, word, words[i + 1] if word.hyphen_next else None)
        if entry is not None:
            hits.append((word, phrase[1] if phrase else word, entry))
            break
    for word in spelled:
        entry = _word_hit(index, word, None)
        if entry is not None:
            hits.append((word, word, entry))
            break
    if not hits:
        return None
    first, last, entry = min(hits, key=lambda hit: hit[0].start)
    return Match(text[where[first.start]:where[last.end - 1] + 1], entry.text, entry.source)
