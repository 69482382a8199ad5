"""The playground in a real browser: what each person sees while the real bot works."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

pytest.importorskip("playwright.async_api", reason="needs playwright")

from playwright.async_api import Browser, Locator, Page, expect

pytestmark = pytest.mark.browser

QUESTION = "Is it normal to feel nervous before moving out? <b>&amp;</b>"
ANSWER = "Yes, very normal. Many feel that way <3"


def chat(page: Page, key: str) -> Locator:
    """A chat panel: private:member-a, private:facilitator, group, staff, ..."""
    return page.locator(f'section[data-chat="{key}"]')


def bot_messages(panel: Locator) -> Locator:
    return panel.locator('li.msg[data-from="bot"]')


async def say(panel: Locator, text: str) -> None:
    await panel.locator("textarea").fill(text)
    await panel.get_by_role("button", name=re.compile("^(Send|Lähetä)$")).click()
    await expect(panel.locator("textarea")).to_have_value("")


async def open_page(browser: Browser, url: str, **options: object) -> Page:
    page = await browser.new_page(**options)  # type: ignore[arg-type]
    await page.goto(url)
    # The seeded world: the weekly meetup's card with its RSVP buttons.
    await expect(chat(page, "group").locator("[data-callback^='rsvp:']").first).to_be_attached()
    return page


async def test_join_ask_answer_and_reminder(browser: Browser, playground_url: str) -> None:
    page = await open_page(browser, playground_url, viewport={"width": 1400, "height": 1000})
    member, staff, group = chat(page, "private:member-a"), chat(page, "staff"), chat(page, "group")
    await expect(page.locator("#local-only")).to_contain_text("127.0.0.1")

    # Member A asks to join through the invite link, reads the rules and agrees.
    await member.locator("[data-action=join]").click()
    await member.locator("[data-callback^='join:ok:']").click()
    await expect(member.locator("[data-action=leave]")).to_be_visible()
    await expect(group.locator(".meta")).to_contain_text("Member A")

    # An anonymous question: /ask, the text, then "Send anonymously".
    await say(member, "/ask")
    await expect(bot_messages(member)).to_have_count(2)
    await say(member, QUESTION)
    await member.locator("[data-callback^='q:send:']").click()
    in_staff = bot_messages(staff).filter(has_text=QUESTION)
    await expect(in_staff).to_have_count(1)  # shown as text: the markup is not interpreted
    await expect(in_staff).not_to_contain_text("Member A")

    # The facilitator answers by replying to the question in the staff chat.
    await expect(staff.get_by_test_id("write-as")).to_have_value("facilitator")
    await in_staff.get_by_role("button", name="Reply").click()
    await say(staff, ANSWER)
    answer = bot_messages(member).filter(has_text=ANSWER)
    await expect(answer).to_have_count(1)
    await expect(answer).not_to_contain_text("Facilitator")
    await expect(answer.locator("[data-callback^='q:close:']")).to_be_visible()

    # The day before the meetup, the group's reminder arrives.
    cards = bot_messages(group).filter(has_text="Vertaisilta")
    await expect(cards).to_have_count(1)
    await page.locator("[data-clock=day-before-meetup]").click()
    await expect(page.locator("#clock-status")).to_have_text("Time moved.")
    await expect(cards).to_have_count(2)
    await expect(bot_messages(member).filter(has_text="Vertaisilta")).to_have_count(0)


async def test_mydata_download_language_and_phone_layout(
    browser: Browser, playground_url: str, tmp_path: Path
) -> None:
    page = await open_page(browser, playground_url, viewport={"width": 390, "height": 800})
    member = chat(page, "private:member-b")
    await expect(chat(page, "private:member-a")).to_be_visible()
    await expect(member).to_be_hidden()  # a phone shows one chat at a time
    await page.locator("[data-tab='private:member-b']").click()
    await expect(member).to_be_visible()

    await page.locator("#page-language").select_option("fi")
    await expect(page.locator("h1")).to_have_text("Vertaisbotin kokeilu")
    await expect(member.locator(".meta")).to_contain_text("ruotsia")

    await say(member, "/mydata")
    link = member.locator("a.document")
    async with page.expect_download() as waiting:
        await link.click()
    download = await waiting.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.suffix == ".json"
    assert isinstance(json.loads(saved.read_text(encoding="utf-8")), dict)
