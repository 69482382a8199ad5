"""SQL is written once with $N placeholders; SQLite gets ? and reordered arguments."""

from __future__ import annotations

import pytest

from storage import Database
from storage.database import bind_qmark, to_qmark


def test_in_order_placeholders_become_question_marks() -> None:
    assert to_qmark("SELECT a FROM t WHERE a = $1 AND b = $2") == (
        "SELECT a FROM t WHERE a = ? AND b = ?",
        (1, 2),
    )


def test_reordered_placeholders_reorder_the_arguments() -> None:
    sql, args = bind_qmark("INSERT INTO t (b, a) VALUES ($2, $1)", ("a", "b"))
    assert sql == "INSERT INTO t (b, a) VALUES (?, ?)"
    assert args == ("b", "a")


def test_a_repeated_placeholder_repeats_its_argument() -> None:
    sql, args = bind_qmark("SELECT $1, $2, $1", (10, 20))
    assert sql == "SELECT ?, ?, ?"
    assert args == (10, 20, 10)


def test_two_digit_placeholders_are_not_read_as_one_digit() -> None:
    sql = "SELECT " + ", ".join(f"${n}" for n in range(12, 0, -1))
    rewritten, args = bind_qmark(sql, tuple(range(1, 13)))
    assert rewritten == "SELECT " + ", ".join(["?"] * 12)
    assert args == tuple(range(12, 0, -1))


def test_placeholders_in_strings_identifiers_and_comments_are_left_alone() -> None:
    sql = """SELECT '$1', 'it''s $2', "col$1" -- $3
    /* $4 */ FROM t WHERE x = $1"""
    rewritten, order = to_qmark(sql)
    assert rewritten == sql.replace("x = $1", "x = ?")
    assert order == (1,)


def test_a_statement_without_placeholders_is_unchanged() -> None:
    assert to_qmark("SELECT 1") == ("SELECT 1", ())


def test_the_rewrite_is_cached() -> None:
    to_qmark.cache_clear()
    to_qmark("SELECT $1")
    to_qmark("SELECT $1")
    assert to_qmark.cache_info().hits == 1


def test_the_wrong_number_of_arguments_is_refused() -> None:
    with pytest.raises(ValueError, match="uses 2 argument"):
        bind_qmark("SELECT $1, $2", (1,))
    with pytest.raises(ValueError, match="uses 1 argument"):
        bind_qmark("SELECT $1", (1, 2))


def test_placeholder_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="from \\$1"):
        to_qmark("SELECT $0")


async def test_reordered_and_repeated_placeholders_on_the_engine(db: Database) -> None:
    row = await db.fetchrow(
        "SELECT CAST($2 AS TEXT) AS second, CAST($1 AS BIGINT) AS first,"
        " CAST($1 AS BIGINT) + 1 AS again",
        7,
        "two",
    )
    assert row == {"second": "two", "first": 7, "again": 8}


async def test_placeholders_bind_values_never_format_them(db: Database) -> None:
    await db.execute("CREATE TABLE t (v TEXT NOT NULL)")
    tricky = "x'); DROP TABLE t; --"
    await db.execute("INSERT INTO t (v) VALUES ($1)", tricky)
    assert await db.fetchval("SELECT v FROM t") == tricky
