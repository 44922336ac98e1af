"""Languages on the handheld in real Chromium: a picker switches the pick page to German with
the language button, the choice follows the badge to another handheld, the next person after
sign-out gets the station's own language back, and a language picked on the sign-in screen is
kept for the person who signs in next."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.live import Server
from tests.support.handheld import TIMEOUT_MS, Handhelds, database, sign_in

pytestmark = pytest.mark.e2e

expect.set_options(timeout=TIMEOUT_MS)

BADGE = "U0098"  # a picker of this test alone: its language must not leak into other tests
OTHER = "U0097"


@pytest.fixture
def people(server: Server) -> Iterator[None]:
    """Two pickers with the demo PIN and no language yet."""
    with database(server) as db:
        pin_hash = db.execute("SELECT pin_hash FROM users WHERE badge = 'U0010'").fetchone()[0]
        for badge, name in ((BADGE, "Lena Sprache"), (OTHER, "Piotr Język")):
            db.execute("DELETE FROM users WHERE badge = ?", (badge,))
            db.execute(
                "INSERT INTO users (badge, name, role, pin_hash, active, language) "
                "VALUES (?, ?, 'picker', ?, 1, NULL)",
                (badge, name, pin_hash),
            )
        db.commit()
    yield
    with database(server) as db:
        db.execute("UPDATE users SET language = NULL WHERE badge IN (?, ?)", (BADGE, OTHER))
        db.commit()


@pytest.fixture
def handhelds(browser: Browser, server: Server) -> Iterator[Handhelds]:
    opened = Handhelds(browser, server)
    yield opened
    opened.close()
    assert opened.errors == []


def saved_language(server: Server, badge: str) -> str | None:
    with database(server) as db:
        row = db.execute("SELECT language FROM users WHERE badge = ?", (badge,)).fetchone()
    return row[0]


def signed_in_again(page: Page, badge: str, lang: str) -> None:
    """After the one reload a switch takes: the page in `lang`, the person signed in."""
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")
    expect(page.locator("#user")).to_have_attribute("data-badge", badge)
    page.wait_for_selector("#task:not([hidden]), #no-work:not([hidden])")


def test_picker_switches_the_pick_page_to_german_and_the_badge_remembers(
    handhelds: Handhelds, server: Server, people: None, screenshots: Path
) -> None:
    page = handhelds.open(BADGE, locale="en-GB")
    expect(page.locator("#station-name")).to_have_text("Pick")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.click("[data-testid=lang-button]")
    sheet = page.locator("[data-testid=lang-sheet]")
    expect(sheet).to_be_visible()
    expect(page.locator("[data-testid=lang-en]")).to_have_attribute("aria-pressed", "true")
    page.click("[data-testid=lang-de]")

    signed_in_again(page, BADGE, "de")
    expect(page.locator("#station-name")).to_have_text("Kommissionieren")  # the template
    expect(page.locator("#banner-text")).to_have_text("Angemeldet als Lena Sprache.")  # t()
    expect(page.locator("#sign-out")).to_have_text("Abmelden")
    expect(page.locator("[data-testid=lang-button] .lang-code")).to_have_text("DE")
    assert saved_language(server, BADGE) == "de"
    page.screenshot(path=str(screenshots / "pick-language-de.png"))

    # The next handheld is set to English: the badge brings German with it.
    other = handhelds.open(None, locale="en-US")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    sign_in_keys(other, BADGE)
    signed_in_again(other, BADGE, "de")
    expect(other.locator("#station-name")).to_have_text("Kommissionieren")

    # A handheld signs out with the next badge scan: someone without a language of their
    # own gets the handheld's language back.
    sign_in_keys(other, OTHER, switching=True)
    signed_in_again(other, OTHER, "en")
    expect(other.locator("#station-name")).to_have_text("Pick")
    assert saved_language(server, OTHER) is None


def test_a_language_picked_on_the_sign_in_screen_is_kept_for_who_signs_in(
    handhelds: Handhelds, server: Server, people: None
) -> None:
    page = handhelds.open(None, locale="en-US")
    page.click("[data-testid=signin-lang-pl]")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.locator("#signin .signin-title")).to_have_text("Zeskanuj identyfikator")
    expect(page.locator("[data-testid=signin-lang-pl]")).to_have_attribute("aria-pressed", "true")
    sign_in(page, OTHER)
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    assert saved_language(server, OTHER) == "pl"
    # A message built by the page's own script (station.js), in Polish with its value.
    expect(page.locator("#banner-text")).to_have_text("Zalogowano: Piotr Język")
    expect(page.locator("#station-name")).to_have_text("Kompletacja")


def sign_in_keys(page: Page, badge: str, switching: bool = False) -> None:
    """Badge and PIN typed like a scanner, without waiting for the task list: the page
    reloads once in the person's language right after the sign-in. `switching`: a badge
    scanned at a station where someone else is signed in."""
    if not switching:
        expect(page.locator("#signin")).to_be_visible()
    page.keyboard.type(badge)
    page.keyboard.press("Enter")
    expect(page.locator("#pin-form")).to_be_visible()
    page.keyboard.type("1234")
    page.keyboard.press("Enter")
