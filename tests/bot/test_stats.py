"""/stats in the staff chat: facilitators only, own region only, a summary and a chart."""

from __future__ import annotations

import struct
from datetime import date

from bot.charts import HEIGHT_PX, WIDTH_PX
from tests.harness import Harness


def last_text(bot: Harness, chat: int) -> str:
    """The last text message: the chart (a photo) comes after the summary."""
    return next(m["text"] for m in reversed(bot.api.sent_messages(chat)) if "text" in m)


async def _staff(bot: Harness, admin: int) -> tuple[int, int, int]:
    facilitator = bot.api.add_user(language_code="en", started=True)
    member = bot.api.add_user(language_code="en", started=True)
    staff = bot.api.add_group(members=[member], admins=[facilitator], owner=admin)
    group = bot.api.add_group(members=[member], owner=admin)
    now = bot.clock.now()
    await bot.store.chats.register(staff, "staff", "Lappi", "en", now)
    await bot.store.chats.register(group, "peer_group", "Lappi", "en", now)
    other = bot.api.add_group(owner=admin)
    await bot.store.chats.register(other, "peer_group", "Kainuu", "en", now)
    await bot.store.figures.count(date(2026, 11, 3), group, "Lappi", "joined", 7)
    await bot.store.figures.count(date(2026, 11, 4), other, "Kainuu", "joined", 50)
    await bot.store.figures.count(date(2026, 11, 5), group, "Lappi", "left", 1)
    return staff, facilitator, member


async def test_stats_for_a_facilitator_text_and_chart(bot: Harness, admin: int) -> None:
    staff, facilitator, _ = await _staff(bot, admin)
    await bot.group(staff, facilitator, "/stats 3")
    text = last_text(bot, staff)
    assert text.startswith("📊 Lappi, 2026-09 – 2026-11")
    assert "joined 7, left <5" in text
    assert "50" not in text  # another region's figures
    assert "<5: fewer than five." in text
    [call] = bot.api.calls_to("sendPhoto")
    data = call.params["photo"].data
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (WIDTH_PX, HEIGHT_PX)
    assert call.ok
    assert call.result["caption"] == "Figures for Lappi"
    assert call.result["chat"]["id"] == staff


async def test_stats_per_group(bot: Harness, admin: int) -> None:
    staff, facilitator, _ = await _staff(bot, admin)
    await bot.group(staff, facilitator, "/stats groups 2")
    summary = last_text(bot, staff)
    assert summary.count("📊") == 2
    assert "Peer group" in summary  # the group's title, from Telegram


async def test_stats_refused_to_members_and_outside_the_staff_chat(
    bot: Harness, admin: int
) -> None:
    staff, facilitator, member = await _staff(bot, admin)
    await bot.group(staff, member, "/stats")
    assert last_text(bot, staff) == (
        "Only the group's facilitators can do that, so nothing was changed."
    )
    await bot.private(facilitator, "/stats")
    assert bot.last(facilitator)["text"] == "Use /stats in your region's staff chat."
    await bot.group(staff, facilitator, "/stats everything")
    assert last_text(bot, staff).startswith("/stats – the region's figures")
    assert bot.api.calls_to("sendPhoto") == []
