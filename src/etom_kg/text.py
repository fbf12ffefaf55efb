"""How words are compared: one normalisation for the graph's search keys and the resolver.

:func:`fold` turns any label or user text into a *search key*: Unicode compatibility form,
accents removed, case folded, punctuation turned into spaces, spaces collapsed; dots stay
inside identifiers (``1.1.1.6``). The keys stored in the graph (``etom:searchKey``, written
by :func:`etom_kg.search.add_search_keys`) and the keys the resolver binds come from this
one function, so a stored query matches by plain equality on any SPARQL engine.

:func:`stems` adds what a key cannot: stop words dropped (the Snowball stop lists shipped in
``etom_kg/words``), British spellings mapped to American, and Snowball stems (PyStemmer)
for English and Spanish. Nothing here imports rdflib or the edit-distance library.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

LANGUAGES = ("en", "es")
_STEMMER_NAMES = {"en": "english", "es": "spanish"}
_ID_DOT = re.compile(r"(?<=\d)\.(?=\d)")  # replaced by a word-character marker while punctuation goes
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """The search key of ``text``: ``"  Facturación & Cobro "`` → ``"facturacion cobro"``."""
    text = str(text)
    if text.isascii():  # nothing to decompose or strip; 10x faster for the common case
        plain = text.lower()
    else:
        decomposed = unicodedata.normalize("NFKD", text)
        plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    plain = _NOT_WORD.sub(" ", _ID_DOT.sub("0DOT0", plain)).replace("0DOT0", ".")
    return " ".join(plain.split())


def tokens(text: str) -> list[str]:
    """The words of ``text``'s search key."""
    return fold(text).split()


def is_identifier(token: str) -> bool:
    return re.fullmatch(r"\d+(?:\.\d+)*", token) is not None


@lru_cache(maxsize=None)
def stop_words() -> frozenset:
    """English and Spanish stop words (the union: a question may mix both languages)."""
    from .resources import package_file  # not importlib.resources: 8-10 ms of every question

    words: set = set()
    folder = package_file("words")
    for lang in LANGUAGES:
        for line in folder.joinpath(f"stopwords-{lang}.txt").read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                words.update(fold(line).split())
    return frozenset(words)


@lru_cache(maxsize=None)
def _stemmer(lang: str):
    import Stemmer  # PyStemmer: the Snowball stemmers, compiled

    return Stemmer.Stemmer(_STEMMER_NAMES[lang])


# British -> American spelling, as spelling rules (not word lists): doubled consonants
# (fulfilment/fulfillment, cancelled/canceled), -our/-or, -ise/-ize, -yse/-yze, -tre/-ter,
# -ogue/-og, -ence/-ense (licence).
_SPELLING = (
    (re.compile(r"([b-df-hj-np-tv-z])\1"), r"\1"),
    (re.compile(r"our(s?)$"), r"or\1"),
    (re.compile(r"is(e|es|ed|ing|ation|ations)$"), r"iz\1"),
    (re.compile(r"ys(e|es|ed|ing)$"), r"yz\1"),
    (re.compile(r"tre(s?)$"), r"ter\1"),
    (re.compile(r"ogue(s?)$"), r"og\1"),
    (re.compile(r"ence(s?)$"), r"ense\1"),
)


def american(token: str) -> str:
    for pattern, repl in _SPELLING:
        token = pattern.sub(repl, token)
    return token


@lru_cache(maxsize=65536)
def stem(token: str, lang: str) -> str:
    """The Snowball stem of one folded token in ``lang`` (English also unifies spellings)."""
    if is_identifier(token):
        return token
    if lang == "en":
        return _stemmer("en").stemWord(american(token))
    return _stemmer(lang).stemWord(token)


def content_tokens(text: str) -> list[str]:
    """The folded words of ``text`` without stop words (all of them if only stop words)."""
    words = tokens(text)
    stops = stop_words()
    kept = [w for w in words if w not in stops]
    return kept


def tagged(token: str, lang: str) -> str:
    """``"es:reclam"``: a stem tagged with its language, so that an English stem never meets
    a Spanish one by accident ("more" and "morosidad" share the letters "mor")."""
    return f"{lang}:{stem(token, lang)}"


def stems(text: str, lang: str | None = None) -> tuple:
    """The tagged stems of ``text``'s content words, in order.

    With ``lang`` each word has one stem; without (a user's text, language unknown) each
    word gives the frozenset of its English and Spanish stems, and matching asks for a
    common element.
    """
    words = content_tokens(text)
    if lang in LANGUAGES:
        return tuple(tagged(w, lang) for w in words)
    return tuple(frozenset(tagged(w, g) for g in LANGUAGES) for w in words)
