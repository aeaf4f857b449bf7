from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhujian.core.search import (
    MAX_QUERY_TERMS,
    Term,
    fts5_match_expression,
    index_tokens,
    query_terms,
    tsquery_expression,
)


def _matches(doc: str, query: str) -> bool:
    """The database semantics, in Python: exact terms equal a token, prefix terms start one."""
    tokens = index_tokens(doc).split()
    return all(
        any(t.startswith(term.text) if term.prefix else t == term.text for t in tokens)
        for term in query_terms(query)
    )


def test_index_tokens_bigrams_words_and_ascii() -> None:
    tokens = index_tokens("南京市鼓楼区C30混凝土").split()
    bigrams = {"南京", "京市", "市鼓", "鼓楼", "楼区", "混凝", "凝土"}
    words = {"南京市", "鼓楼区", "混凝土"}
    assert bigrams | words | {"区", "土", "c30"} <= set(tokens)
    assert len(tokens) == len(set(tokens))
    assert index_tokens("南京市鼓楼区C30混凝土") == index_tokens("南京市鼓楼区C30混凝土")  # deterministic


def test_index_tokens_lone_character_and_several_texts() -> None:
    assert index_tokens("市", None, "", "甲 乙") == "市 甲 乙"


def test_index_tokens_codes() -> None:
    tokens = index_tokens("统一社会信用代码：91350100M000100Y43；项目代码 2105-320106-04-01-123456").split()
    assert "91350100m000100y43" in tokens
    assert "210532010604123456" not in tokens
    assert "2105320106040112345 6".replace(" ", "") in tokens
    assert {"2105", "320106", "04", "01", "123456"} <= set(tokens)
    # Only Han or [0-9a-z] tokens: both FTS5 and to_tsvector('simple') keep each one whole.
    assert all("-" not in t for t in tokens)


def test_full_width_is_normalised() -> None:
    assert index_tokens("ＡＢＣ１２３") == "abc123"
    assert query_terms("ＡＢＣ") == [Term("abc", prefix=True)]


def test_query_terms() -> None:
    assert query_terms("") == []
    assert query_terms("   ") == []
    assert query_terms("南京") == [Term("南京")]
    assert query_terms("南京市") == [Term("南京"), Term("京市")]
    assert query_terms("市") == [Term("市", prefix=True)]
    assert query_terms("鼓楼 C30") == [Term("鼓楼"), Term("c30", prefix=True)]
    assert query_terms("2105-3201") == [Term("21053201", prefix=True)]
    assert query_terms("南京 南京") == [Term("南京")]


def test_query_terms_capped() -> None:
    assert len(query_terms("".join(chr(0x4E00 + i) for i in range(200)))) == MAX_QUERY_TERMS


@pytest.mark.parametrize(
    "query", ['"', "*", "AND", "-", "(", ")", ":", "^", "'", "\\", "NEAR(a b)", "{x}", '"南京" OR *']
)
def test_syntax_characters_stripped(query: str) -> None:
    for term in query_terms(query):
        assert term.text.isalnum()
    fts5_match_expression(query_terms(query))  # never raises


def test_operators_become_plain_words() -> None:
    terms = query_terms('南京" AND (鼓楼 OR -x*')
    assert terms == [
        Term("南京"),
        Term("and", prefix=True),
        Term("鼓楼"),
        Term("or", prefix=True),
        Term("x", prefix=True),
    ]
    assert fts5_match_expression(terms) == '"南京" AND "and"* AND "鼓楼" AND "or"* AND "x"*'
    assert tsquery_expression(terms) == "'南京' & 'and':* & '鼓楼' & 'or':* & 'x':*"


def test_expressions_escape_hand_made_terms() -> None:
    terms = [Term('a"b'), Term("c'd\\", prefix=True), Term("")]
    assert fts5_match_expression(terms) == '"a""b" AND "c\'d\\"*'
    assert tsquery_expression(terms) == "'a\"b' & 'c''d\\\\':*"
    assert fts5_match_expression([]) == "" and tsquery_expression([]) == ""


@pytest.mark.parametrize(
    ("doc", "query", "expected"),
    [
        ("南京市鼓楼区", "南京", True),
        ("南京市鼓楼区", "鼓楼", True),
        ("江苏省南京市", "南京", True),
        ("江苏省南京市", "京市", True),
        ("鼓楼医院", "鼓楼", True),
        ("北京市鼓楼大街", "南京", False),
        ("南通、京口", "南京", False),  # both characters, but not adjacent
        ("南京市鼓楼区", "市", True),
        ("南京市", "市", True),  # last character of a run
        ("南京", "北", False),
        ("C30混凝土", "c3", True),
        ("项目 2105-320106-04-01-123456", "2105-3201", True),
        ("项目 2105-320106-04-01-123456", "3201", True),
        ("项目 2105-320106-04-01-123456", "2106", False),
    ],
)
def test_matching_examples(doc: str, query: str, expected: bool) -> None:
    assert _matches(doc, query) is expected


HAN = "南京市鼓楼区江宁玄武秦淮建邺"
documents = st.text(st.sampled_from(HAN + " ，a1"), max_size=20)
words = st.text(st.sampled_from(HAN), min_size=2, max_size=2)


@given(documents, words)
def test_two_character_word_matches_iff_contained(doc: str, word: str) -> None:
    assert _matches(doc, word) is (word in doc)


@given(documents, st.sampled_from(HAN))
def test_one_character_matches_iff_contained(doc: str, char: str) -> None:
    assert _matches(doc, char) is (char in doc)


def _fts5() -> sqlite3.Connection:
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE VIRTUAL TABLE docs USING fts5(search_tokens)")
    except sqlite3.OperationalError:  # pragma: no cover
        pytest.skip("SQLite without FTS5")
    return db


@settings(max_examples=50)
@given(st.lists(documents, min_size=1, max_size=8), st.one_of(words, st.sampled_from(HAN)))
def test_sqlite_fts5_agrees(docs: list[str], query: str) -> None:
    db = _fts5()
    db.executemany(
        "INSERT INTO docs(rowid, search_tokens) VALUES (?, ?)",
        [(i, index_tokens(d)) for i, d in enumerate(docs)],
    )
    expression = fts5_match_expression(query_terms(query))
    found = {row[0] for row in db.execute("SELECT rowid FROM docs WHERE docs MATCH ?", [expression])}
    assert found == {i for i, d in enumerate(docs) if query in d}


@pytest.mark.parametrize(
    "query", ['"', "*", "AND", "-", "(", 'a" OR "b', "NOT x", "x:y", "^a", '南京"*(', "a AND"]
)
def test_sqlite_fts5_accepts_hostile_queries(query: str) -> None:
    db = _fts5()
    db.execute("INSERT INTO docs(rowid, search_tokens) VALUES (1, ?)", [index_tokens("南京 and not x y a b")])
    expression = fts5_match_expression(query_terms(query))
    if expression:
        db.execute("SELECT rowid FROM docs WHERE docs MATCH ?", [expression]).fetchall()
