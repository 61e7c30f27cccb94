"""Keyword search that works for Chinese without contrib extensions: CJK runs become
unigrams and bigrams, other text lower-case words, all in a 'simple' tsvector with a GIN
index. A query matches when all its tokens match (Latin words as prefixes)."""
from __future__ import annotations

import re

from sqlalchemy import func

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
WORD = re.compile(r"[0-9a-z]+")


def _cjk_grams(run: str, unigrams: bool) -> list[str]:
    grams = [run[i:i + 2] for i in range(len(run) - 1)]
    if unigrams or len(run) == 1:
        grams += list(run)
    return grams


def document_tokens(*texts: str) -> list[str]:
    """Tokens to index for these texts."""
    out: list[str] = []
    for value in texts:
        if not value:
            continue
        value = str(value).lower()
        for run in CJK.findall(value):
            out += _cjk_grams(run, unigrams=True)
        out += WORD.findall(CJK.sub(" ", value))
    return out


def tsvector(*texts: str):
    return func.to_tsvector("simple", " ".join(document_tokens(*texts)))


def tsquery(query: str):
    """A to_tsquery() for the user's words, or None when nothing searchable was typed."""
    query = (query or "").lower()[:100]
    terms = []
    for run in CJK.findall(query):
        terms += _cjk_grams(run, unigrams=False)
    terms += [f"{word}:*" for word in WORD.findall(CJK.sub(" ", query))]
    if not terms:
        return None
    return func.to_tsquery("simple", " & ".join(dict.fromkeys(terms)))
