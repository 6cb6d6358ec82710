"""``export`` reads one moment of the store, and never from a store that is not there."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import smarterproctoring_async as sp
from smarterproctoring_async.testing import FakeAPI

from ..store._sql import dialect, query, raw
from .conftest import install_of
from .test_export_store import TABLES, as_json, store_rows


def test_export_reads_all_three_tables_from_one_snapshot(
    api: FakeAPI, cli, store_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("sync", "--install", install_of(api), "--to", store_url).code == 0
    before = {table: [as_json(row) for row in store_rows(store_url, table)] for table in TABLES}
    assert before["events"] and before["annotations"]
    rows = sp.Store.rows

    async def rows_then_replace(self: sp.Store, table: Any, **options: Any) -> AsyncIterator[Any]:
        async for row in rows(self, table, **options):
            yield row
            if table == "sessions":  # a sync replaces every session while sessions are read
                with raw(store_url) as connection:
                    connection.execute(sa.text("DELETE FROM events"))
                    connection.execute(sa.text("DELETE FROM annotations"))

    monkeypatch.setattr(sp.Store, "rows", rows_then_replace)
    out = tmp_path / "files"
    ran = cli("export", "--from", store_url, "--out", str(out))
    assert ran.code == 0, ran.err
    assert store_rows(store_url, "events") == []  # the replacement happened
    for table in TABLES:
        lines = (out / f"{table}.jsonl").read_text(encoding="utf-8").splitlines()
        assert [json.loads(line) for line in lines] == before[table]


def test_export_from_no_store_fails_and_leaves_the_files(
    api: FakeAPI, cli, store_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "files"
    ran = cli("export", "--from", store_url, "--out", str(out))
    assert ran.code in (1, 2) and "no store at " in ran.err
    assert ran.err.strip().count("\n") == 0 and not out.exists()
    good = tmp_path / "good.db"
    assert cli("sync", "--install", install_of(api), "--to", f"sqlite:///{good}").code == 0
    assert cli("export", "--from", f"sqlite:///{good}", "--out", str(out)).code == 0
    exported = {p.name: p.read_bytes() for p in out.iterdir()}
    assert cli("export", "--from", store_url, "--out", str(out)).code in (1, 2)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == exported
    if dialect(store_url) == "sqlite":
        assert not (tmp_path / "store.db").exists()
    else:
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        assert query(store_url, tables) == [(0,)]
