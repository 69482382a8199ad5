"""`vertaisbot backup PATH`: a consistent copy of the SQLite database, while the bot runs."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from storage.database import SQLITE_PREFIX, sqlite_path


class BackupError(Exception):
    """Something a person has to fix; the message says what."""


def backup_sqlite(storage_url: str, target: Path) -> int:
    """Copy the database at ``storage_url`` to ``target``; return its size in bytes.

    SQLite's online backup copies a consistent snapshot even while the bot writes (WAL).
    The copy is written next to the target and renamed, so a half-written file never
    looks like a backup; it is readable by its owner only, because it holds member ids.
    """
    if not storage_url.startswith(SQLITE_PREFIX):
        raise BackupError(
            "backup copies SQLite databases. For PostgreSQL use pg_dump, for example:\n"
            "  pg_dump --format=custom --file=vertaisbot.dump 'postgresql://…'\n"
            "(see README: Backups)."
        )
    source = Path(sqlite_path(storage_url))
    if not source.is_file():
        raise BackupError(f"There is no database at {source}.")
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file name.")
    if not target.parent.is_dir():
        raise BackupError(f"The folder {target.parent} does not exist.")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    try:
        with (
            sqlite3.connect(f"file:{source}?mode=ro", uri=True) as reader,
            sqlite3.connect(partial) as writer,
        ):
            reader.backup(writer)
            writer.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        checked = sqlite3.connect(f"file:{partial}?mode=ro", uri=True)
        try:
            if checked.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise BackupError("The copy did not pass SQLite's integrity check.")
        finally:
            checked.close()
        partial.replace(target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target.stat().st_size
