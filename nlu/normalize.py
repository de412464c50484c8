"""Normalisation: one spelling-independent "key" form of a message, with a map back to the original.

Children type Azerbaijani with or without ə ş ç ğ ı ö ü ("ozumu oldurmek"), Russian in Cyrillic
or in Latin letters ("ya ne hochu zhit"), stretch words ("istəyirəəəm") and use emoji. Rules and
the model both work on one folded key form so that all of these meet:

- lower case; Azerbaijani letters folded (ə→e, ş→s, ç→c, ğ→g, ı→i, ö→o, ü→u), other accents
  stripped;
- Cyrillic transliterated, and Latin transliteration digraphs folded the same way
  (ш/sh→s, ч/ch/4→c, ж/zh→j, х/kh/x→h), so "хочу", "hochu", "xochu" and "khochu" are one word;
- every run of a repeated letter collapsed to one ("istəyirəəəm" → "isteyirem", "kill" → "kil");
- apostrophes dropped ("don't" → "dont"), other punctuation turned into spaces;
- emoji that matter turned into tokens (💊 → emo_pil), others into "emo";
- a few common misspellings corrected (nlu/lexicon/spelling.yml).

Lexicon phrases go through the same function, so they can be written in natural spelling.
`offsets[i]` is the index in the original text of key character i, so reasons can quote the
child's own words.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cached_property, lru_cache

_LETTER_MAP = {
    # Azerbaijani (and Turkish) letters
    "ə": "e", "ı": "i", "ö": "o", "ü": "u", "ş": "s", "ç": "c", "ğ": "g",
    # Cyrillic, folded to the same consonants as the Latin digraphs below
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "j",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "c",
    "ч": "c", "ш": "s", "щ": "s", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "i", "є": "e", "ў": "u", "ә": "e", "ғ": "g", "ҹ": "c",
    "һ": "h", "ө": "o", "ү": "u", "ј": "y",
    # Apostrophes vanish inside words ("don't", "zhit'")
    "'": "", "’": "", "`": "", "ʼ": "", "´": "",
}  # fmt: skip

# Emoji that carry meaning for triage. Names must be fixed points of the folding below
# (no doubled letters, no sh/ch/zh/kh/x), a test checks this.
EMOJI_TOKENS = {
    "😭": "emo_cry", "😢": "emo_cry", "🥺": "emo_cry", "😿": "emo_cry",
    "😔": "emo_sad", "😞": "emo_sad", "😟": "emo_sad", "☹": "emo_sad", "🙁": "emo_sad",
    "😩": "emo_sad", "😫": "emo_sad", "😣": "emo_sad", "😥": "emo_sad", "😓": "emo_sad",
    "💔": "emo_broken", "🖤": "emo_broken",
    "😂": "emo_laugh", "🤣": "emo_laugh", "😹": "emo_laugh", "😆": "emo_laugh",
    "😅": "emo_laugh", "😄": "emo_smile", "😁": "emo_smile", "😀": "emo_smile",
    "🙂": "emo_smile", "😊": "emo_smile", "😉": "emo_smile", "😃": "emo_smile",
    "💀": "emo_skul", "☠": "emo_skul",
    "💊": "emo_pil", "🔪": "emo_knife", "🗡": "emo_knife", "🩸": "emo_blod",
    "🔫": "emo_gun", "🪢": "emo_rope", "⚰": "emo_cofin", "🪦": "emo_grave",
    "😡": "emo_angry", "🤬": "emo_angry", "😠": "emo_angry",
    "😨": "emo_fear", "😰": "emo_fear", "😱": "emo_fear",
    "❤": "emo_heart", "♥": "emo_heart", "💕": "emo_heart", "🥰": "emo_heart",
    "🙏": "emo_pray", "👋": "emo_wave",
}  # fmt: skip

_DIGRAPH_H = {"s": "s", "c": "c", "z": "j", "k": "h"}  # sh→s, ch→c, zh→j, kh→h


class Normalized:
    """A message in key form. `offsets` (key index → original index) are computed on demand:
    only reasons need them, and most messages have none."""

    __slots__ = ("original", "key", "tokens", "_spelling", "__dict__")

    def __init__(self, original: str, key: str, tokens: tuple[str, ...], spelling: bool = True):
        self.original = original
        self.key = key
        self.tokens = tokens
        self._spelling = spelling

    def __repr__(self) -> str:
        return f"Normalized(key={self.key!r})"

    @cached_property
    def offsets(self) -> tuple[int, ...]:
        key, offs = _slow_key(self.original, self._spelling)
        if key != self.key:  # cannot happen (a test compares both paths); degrade, never fail
            return tuple(min(i, max(len(self.original) - 1, 0)) for i in range(len(self.key)))
        return tuple(offs)

    def original_span(self, start: int, end: int) -> str:
        """The child's own words behind key[start:end], widened to whole words."""
        if not self.key or start >= end:
            return ""
        offsets = self.offsets
        lo = offsets[start]
        hi = offsets[min(end, len(offsets)) - 1] + 1
        text = self.original
        while lo > 0 and not text[lo - 1].isspace():
            lo -= 1
        while hi < len(text) and not text[hi].isspace():
            hi += 1
        return text[lo:hi].strip(' .,!?;:"()«»')


@lru_cache(maxsize=4096)
def _map_char(ch: str) -> str:
    """Key form of one (lower-case) character: letters, digits, '' or ' ' or an emoji token."""
    mapped = _LETTER_MAP.get(ch)
    if mapped is not None:
        return mapped
    if ch.isascii():
        return ch if ch.isalnum() or ch == "_" else " "
    if ch in EMOJI_TOKENS:
        return f" {EMOJI_TOKENS[ch]} "
    category = unicodedata.category(ch)
    if category == "Mn" or category == "Cf" or ch == "\ufe0f":
        return ""  # combining marks, variation selectors, zero-width joiners
    if category.startswith("L"):
        base = unicodedata.normalize("NFKD", ch)
        base = "".join(c for c in base if not unicodedata.combining(c))
        return _LETTER_MAP.get(base, base) if base else ""
    if category.startswith("N"):
        return ch
    if category == "So":
        return " emo "
    return " "


def _spelling() -> dict[str, str]:
    from nlu.lexicon import load_spelling  # local import: the lexicon itself uses normalize

    return load_spelling()


def fold(text: str) -> tuple[list[str], list[int]]:
    """Character pass: lower case, letter folding, transliteration, digraphs, repeats."""
    out: list[str] = []
    offs: list[int] = []
    for i, raw in enumerate(text):
        for ch in raw.lower():
            mapped = _map_char(ch)
            if mapped.startswith(" emo"):
                # emoji tokens are already in key form: never fold inside them
                if out and out[-1] != " ":
                    out.append(" ")
                    offs.append(i)
                for m in mapped[1:]:
                    out.append(m)
                    offs.append(i)
                continue
            for m in mapped:
                prev = out[-1] if out else " "
                if m == "h" and prev in _DIGRAPH_H:
                    out[-1] = _DIGRAPH_H[prev]
                    continue
                if m == "x":
                    m = "h"
                if m == " ":
                    if prev == " ":
                        continue
                elif m == prev and m.isalpha():
                    continue  # collapse repeated letters
                out.append(m)
                offs.append(i)
    # "ho4u" → "hocu": a 4 between letters is the Russian ч in Latin typing
    for j in range(1, len(out) - 1):
        if out[j] == "4" and out[j - 1].isalpha() and out[j + 1].isalpha():
            out[j] = "c"
    return out, offs


class _Table(dict):
    """str.translate table filled on demand from _map_char."""

    def __missing__(self, codepoint: int) -> str:
        value = _map_char(chr(codepoint))
        self[codepoint] = value
        return value


_TABLE = _Table()
_DIGRAPH_RE = re.compile(r"([sck])h+|zh")
_DIGRAPH_SUB = {"s": "s", "c": "c", "k": "h"}
_REPEAT_RE = re.compile(r"([^\W\d_])\1+")
_FOUR_RE = re.compile(r"(?<=[^\W\d_])4(?=[^\W\d_])")
_SPACES_RE = re.compile(r" {2,}")


def _fast_key(text: str) -> str:
    """The same key as `fold` (a test checks both on every training and test message), fast."""
    out = text.lower().translate(_TABLE)
    if "h" in out:
        out = _DIGRAPH_RE.sub(
            lambda m: "j" if m.group(0) == "zh" else _DIGRAPH_SUB[m.group(1)], out
        )
    if "x" in out:
        out = out.replace("x", "h")
    out = _REPEAT_RE.sub(r"\1", out)
    if "4" in out:
        out = _FOUR_RE.sub("c", out)
    return _SPACES_RE.sub(" ", out).strip(" ")


def _slow_key(text: str, spelling: bool) -> tuple[str, list[int]]:
    chars, offs = fold(text)
    while chars and chars[0] == " ":
        chars.pop(0)
        offs.pop(0)
    while chars and chars[-1] == " ":
        chars.pop()
        offs.pop()
    key = "".join(chars)
    if spelling and key:
        fixes = _spelling()
        words = key.split(" ")
        if any(w in fixes for w in words):
            key, offs = _apply_spelling(words, offs, fixes)
    return key, offs


def normalize(text: str, *, spelling: bool = True) -> Normalized:
    key = _fast_key(text)
    if spelling and key:
        fixes = _spelling()
        words = key.split(" ")
        if any(w in fixes for w in words):
            key = " ".join(fixes.get(w, w) for w in words)
    tokens = tuple(key.split()) if key else ()
    return Normalized(text, key, tokens, spelling)


def _apply_spelling(words: list[str], offs: list[int], fixes: dict[str, str]):
    new_words: list[str] = []
    new_offs: list[int] = []
    pos = 0
    for n, word in enumerate(words):
        span = offs[pos : pos + len(word)]
        fixed = fixes.get(word, word)
        if fixed == word:
            new_offs.extend(span)
        else:
            # spread the corrected word over the original word's characters
            for k in range(len(fixed)):
                new_offs.append(span[min(k * len(span) // max(len(fixed), 1), len(span) - 1)])
        new_words.append(fixed)
        pos += len(word)
        if n < len(words) - 1:
            new_offs.append(offs[pos])
            pos += 1
    return " ".join(new_words), new_offs


def key(text: str) -> str:
    """Just the key string (used to compile lexicon phrases)."""
    return normalize(text).key
