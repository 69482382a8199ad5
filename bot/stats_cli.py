"""`vertaisbot stats`: a region's monthly figures as CSV or JSON, small numbers suppressed."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from typing import Any

from bot.app import open_store
from bot.clock import SystemClock
from bot.figures import FigureTable, figure_table, load_figures, month_range
from bot.settings import Settings

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
FORMATS = ("csv", "json")
CSV_HEADER = ("region", "scope", "month", "metric", "value")
MAX_MONTHS = 120


def stats_command(
    settings: Settings, region: str, first_month: str, last_month: str, fmt: str
) -> int:
    """Print the figures of ``region`` from ``first_month`` to ``last_month`` (YYYY-MM) to
    stdout as ``fmt`` (csv or json); the exit code."""
    if fmt not in FORMATS:
        print(f"Unknown format {fmt!r}: use csv or json.", file=sys.stderr)
        return EXIT_USAGE
    try:
        months = month_range(first_month, last_month)
    except ValueError as exc:
        print(f"{exc}. Write months as YYYY-MM, for example 2026-01.", file=sys.stderr)
        return EXIT_USAGE
    if len(months) > MAX_MONTHS:
        print(f"At most {MAX_MONTHS} months at a time.", file=sys.stderr)
        return EXIT_USAGE
    table = asyncio.run(_table(settings, region, months))
    if table is None:
        print(f"No group or staff chat is registered in region {region!r}.", file=sys.stderr)
        return EXIT_FAILED
    sys.stdout.write(to_csv(table) if fmt == "csv" else to_json(table))
    return EXIT_OK


async def _table(settings: Settings, region: str, months: list[str]) -> FigureTable | None:
    store = await open_store(settings, SystemClock())
    try:
        if not any(chat.region == region for chat in await store.chats.list()):
            return None
        return figure_table(await load_figures(store, region, months, settings.bot.zone))
    finally:
        await store.close()


def to_csv(table: FigureTable) -> str:
    """One row per figure: region, scope (region or a group's id), month (or total), metric,
    value ("<5" and ".." for hidden figures)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for scope, period, metric, value in table.rows():
        writer.writerow((table.region, scope, period, metric, value))
    return buffer.getvalue()


def to_json(table: FigureTable) -> str:
    figures: list[dict[str, Any]] = [
        {"scope": scope, "month": period, "metric": metric, "value": _json_value(value)}
        for scope, period, metric, value in table.rows()
    ]
    document = {
        "region": table.region,
        "from": table.months[0],
        "to": table.months[-1],
        "threshold": table.threshold,
        "figures": figures,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _json_value(shown: str) -> int | float | str:
    """Numbers as numbers; "<5" and ".." stay text."""
    try:
        return int(shown)
    except ValueError:
        try:
            return float(shown)
        except ValueError:
            return shown
