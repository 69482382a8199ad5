"""Per-key locks for read-then-write transactions, so concurrent callers see each other's rows.

PostgreSQL: ``pg_advisory_xact_lock(namespace, key)``, two 32-bit keys, released when the
transaction ends; a key space apart from the migrations' single 64-bit key. Keys that share
32 bits just wait for each other. SQLite: BEGIN IMMEDIATE already serialises transactions.
"""

from __future__ import annotations

import hashlib

from storage.database import Connection, Engine


def namespace(tag: bytes) -> int:
    """Four bytes, such as b"warn", as a signed 32-bit lock namespace."""
    if len(tag) != 4:
        raise ValueError("a lock namespace is four bytes")
    return int.from_bytes(tag, "big", signed=True)


def key_of(*parts: int | str) -> int:
    """A stable signed 32-bit key for some ids (the same in every process, unlike hash())."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=4).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock(conn: Connection, engine: Engine, space: int, key: int) -> None:
    """Hold the lock (space, key) until the transaction of ``conn`` ends."""
    if engine == "postgres":
        await conn.execute(
            "SELECT pg_advisory_xact_lock(CAST($1 AS INTEGER), CAST($2 AS INTEGER))", space, key
        )
