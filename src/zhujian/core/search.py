"""Chinese tokenising for full-text search (DESIGN.md, Search in Chinese).

Neither SQLite's nor PostgreSQL's tokenisers split Chinese, so text is tokenised here and the
space-separated tokens are stored in an FTS5 column (SQLite) or a ``tsvector('simple')`` column
(PostgreSQL). Every token is made only of Han characters or only of ``[0-9a-z]``, so both engines'
own tokenisers keep each one intact and index exactly what we produced.

Index: rjieba words, the bigrams of every Han run, and a unigram of the run's last character (a lone
character is that unigram), plus ASCII words (and hyphenated codes joined into one token).
Query: bigrams of each Han run (all must match), a lone Han character as a prefix term, ASCII
words as prefix terms. A two-character word therefore matches exactly the documents containing it,
inside a longer word or not, and a single character matches any document containing it (every
character starts a bigram or is a run's last character).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import rjieba

__all__ = [
    "MAX_QUERY_TERMS",
    "Term",
    "fts5_match_expression",
    "index_tokens",
    "query_terms",
    "tsquery_expression",
]

# A pasted paragraph would otherwise make a query of hundreds of ANDed bigrams.
MAX_QUERY_TERMS = 64

_HAN = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_HAN_WORD = re.compile(f"^[{_HAN}]{{2,}}$")
# ASCII words, hyphenated codes (项目代码 2105-320106-04-01-123456) as one match.
_SEGMENT = re.compile(f"[{_HAN}]+|[0-9a-z]+(?:-[0-9a-z]+)*")


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool = False


def _normalise(text: str) -> str:
    # Full-width letters/digits (common from Chinese IMEs) to ASCII, then lower-case.
    return unicodedata.normalize("NFKC", text).lower()


def _han_ngrams(run: str) -> Iterator[str]:
    for i in range(len(run) - 1):
        yield run[i : i + 2]
    yield run[-1]  # the last character (or a lone one) as a unigram, for one-character queries


def _tokens(text: str) -> Iterator[str]:
    for match in _SEGMENT.finditer(text):
        segment = match.group()
        if _HAN_RUN.fullmatch(segment):
            yield from _han_ngrams(segment)
        else:
            parts = segment.split("-")
            yield from parts
            if len(parts) > 1:
                yield "".join(parts)  # the whole code, hyphens dropped (both engines split on them)
    for word in rjieba.cut(text):
        if _HAN_WORD.match(word):
            yield word


def _dedupe(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def index_tokens(*texts: str | None) -> str:
    """Space-separated, deduplicated tokens of ``texts`` for the search column."""
    tokens: list[str] = []
    for text in texts:
        if text:
            tokens.extend(_tokens(_normalise(text)))
    return " ".join(_dedupe(tokens))


def query_terms(query: str) -> list[Term]:
    """The terms a document must all match. FTS syntax characters are simply not kept."""
    terms: list[Term] = []
    for match in _SEGMENT.finditer(_normalise(query or "")):
        segment = match.group()
        if _HAN_RUN.fullmatch(segment):
            if len(segment) == 1:
                terms.append(Term(segment, prefix=True))
            else:
                terms.extend(Term(segment[i : i + 2]) for i in range(len(segment) - 1))
        else:
            # Prefix, so a partly typed word or code (9132010…, 2105-3201…) already finds matches.
            terms.append(Term(segment.replace("-", ""), prefix=True))
    return list(dict.fromkeys(terms))[:MAX_QUERY_TERMS]


def fts5_match_expression(terms: Iterable[Term]) -> str:
    """SQLite FTS5 MATCH string: ``"南京" AND "c30"*``. Empty terms give "" (match nothing)."""
    # Terms from query_terms hold no syntax characters; quoting still guards hand-made ones.
    parts = []
    for term in terms:
        if not term.text:
            continue
        quoted = '"' + term.text.replace('"', '""') + '"'
        parts.append(quoted + "*" if term.prefix else quoted)
    return " AND ".join(parts)


def tsquery_expression(terms: Iterable[Term]) -> str:
    """PostgreSQL ``to_tsquery('simple', …)`` string: ``'南京' & 'c30':*``; "" for no terms."""
    parts = []
    for term in terms:
        if not term.text:
            continue
        quoted = "'" + term.text.replace("\\", "\\\\").replace("'", "''") + "'"
        parts.append(quoted + ":*" if term.prefix else quoted)
    return " & ".join(parts)
