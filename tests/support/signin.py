"""Signing in on a station page the way a person does: scan the badge, type the PIN."""

from __future__ import annotations

from playwright.sync_api import Page

DEMO_PIN = "1234"


def enter_pin_if_asked(page: Page, badge: str, pin: str = DEMO_PIN) -> None:
    """After the badge scan the page asks for the PIN, unless this tab still holds a
    station token for the badge (then it signs straight in)."""
    page.wait_for_function(
        """(badge) => {
            const form = document.querySelector('#pin-form');
            const user = document.querySelector('#user');
            return (form && !form.hidden) || (user && user.dataset.badge === badge);
        }""",
        arg=badge,
    )
    form = page.locator("#pin-form")
    if form.count() and form.is_visible():
        page.keyboard.type(pin)
        page.keyboard.press("Enter")


def scan_badge_and_pin(page: Page, badge: str, pin: str = DEMO_PIN) -> None:
    """The badge as a wedge scan (keys + Enter with nothing focused), then the PIN if the
    page asks; returns once the page has finished handling the sign-in."""
    before = int(page.locator("body").get_attribute("data-scans") or "0")
    page.keyboard.type(badge)
    page.keyboard.press("Enter")
    enter_pin_if_asked(page, badge, pin)
    page.wait_for_function(
        "n => Number(document.body.dataset.scans) > n && !document.body.dataset.busy",
        arg=before,
    )
