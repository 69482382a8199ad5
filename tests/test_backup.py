"""`vertaisbot backup`: a consistent, private copy of the SQLite database, also while in use."""

from __future__ import annotations

import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import Store
from storage.backup import BackupError, backup_sqlite

NOW = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


async def test_copy_while_the_database_is_open_and_written(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    async with await Store.open(url) as store:
        await store.migrate(NOW)
        for user in range(1, 51):
            await store.members.mark_started(user, NOW)
        target = tmp_path / "copy.db"
        size = backup_sqlite(url, target)  # the bot still has the database open (WAL)
        await store.members.mark_started(51, NOW)  # after the copy: not in it
    assert size == target.stat().st_size > 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT COUNT(*) FROM members").fetchone() == (50,)
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    # A restored copy opens as a normal database.
    async with await Store.open(f"sqlite:///{target}") as restored:
        assert await restored.migrate(NOW) == []
        assert await restored.members.get(50) is not None
    assert not (tmp_path / "copy.db.partial").exists()


def test_refuses_to_overwrite_and_explains_postgres(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'bot.db'}"
    sqlite3.connect(tmp_path / "bot.db").close()
    existing = tmp_path / "old.db"
    existing.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="exists already"):
        backup_sqlite(url, existing)
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(BackupError, match="pg_dump"):
        backup_sqlite("postgresql://localhost/db", tmp_path / "x.db")
    with pytest.raises(BackupError, match="no database"):
        backup_sqlite(f"sqlite:///{tmp_path / 'missing.db'}", tmp_path / "y.db")
    with pytest.raises(BackupError, match="does not exist"):
        backup_sqlite(url, tmp_path / "no" / "such" / "folder.db")
