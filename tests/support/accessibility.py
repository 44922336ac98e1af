"""Accessibility checks for the station pages in Chromium: axe-core (the copy packaged in
axe-playwright-python, injected into the page: no CDN), touch-target sizes, text sizes, the
scan-result banner's non-colour signals, the list of HTML pages taken from the app's URL map,
and the README screenshots (docs/screenshots/, written only with DOCKHAND_SCREENSHOTS=1).

See docs/accessibility.md for what is checked and the documented exceptions."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, ViewportSize

from tests.e2e.live import REPO, Server

HANDHELD: ViewportSize = {"width": 360, "height": 640}
DESK: ViewportSize = {"width": 1280, "height": 800}
MIN_TARGET_PX = 48
# Smallest text a picker must read at arm's length on a 4-inch screen (CSS px at 360 wide).
MIN_TEXT_PX = 14
FAILING_IMPACTS = ("serious", "critical")
SCREENSHOT_DIR = REPO / "docs" / "screenshots"
SCREENSHOTS_ENV = "DOCKHAND_SCREENSHOTS"

_axe = Axe()


# ---------------------------------------------------------------- axe-core


@dataclass(frozen=True)
class Finding:
    where: str  # page and state, e.g. "/pick (task showing, wrong location)"
    rule: str
    impact: str
    targets: tuple[str, ...]
    help: str
    help_url: str

    def __str__(self) -> str:
        shown = ", ".join(self.targets[:6]) + (" …" if len(self.targets) > 6 else "")
        return (
            f"{self.where}: [{self.impact}] {self.rule}: {self.help}\n"
            f"    targets: {shown}\n    see {self.help_url}"
        )


def settle(page: Page) -> None:
    """Wait for finite animations (the banner's pulse) to end, so colours are final."""
    page.wait_for_function(
        """() => document.getAnimations().every(a => {
            const end = a.effect && a.effect.getComputedTiming().endTime;
            return end === Infinity || a.playState !== 'running';
        })"""
    )


def axe_findings(page: Page, where: str) -> list[Finding]:
    """Every axe-core violation on the page as it is now (all rules axe enables by default:
    WCAG 2.x A/AA and best practices)."""
    settle(page)
    results = _axe.run(page)
    found = []
    for v in results.response["violations"]:
        targets = tuple(
            " ".join(str(part) for part in node.get("target", [])) for node in v["nodes"]
        )
        found.append(
            Finding(where, v["id"], v.get("impact") or "minor", targets, v["help"], v["helpUrl"])
        )
    return found


def serious(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.impact in FAILING_IMPACTS]


def report(findings: list[Finding]) -> str:
    return "\n".join(str(f) for f in findings)


def axe_engine_version(page: Page) -> str:
    """The version of the axe-core script the checks inject (packaged, never from a CDN)."""
    page.evaluate(_axe.axe_script)
    version: str = page.evaluate("() => (window.axe && window.axe.version) || ''")
    return version


# ---------------------------------------------------------------- touch targets and text size

# What a finger can hit: buttons, inputs, selects, summaries, and links that are not words in a
# sentence. A checkbox or radio is measured by its label when it has one (tapping the label
# toggles it); an inline link inside running text is exempt (WCAG 2.5.8 "inline" exception);
# the keyboard-wedge input (1 px, aria-hidden, tabindex -1: a scanner types into it, a finger
# never does) and visually-hidden inputs whose label is the target are measured by that label.
TARGETS_JS = """
(min) => {
  const selector = 'button, a[href], input:not([type=hidden]), select, textarea, summary, '
    + '[role=button], [role=tab], [role=link], [role=checkbox], [role=radio], [role=switch]';
  const shown = (el) => {
    if (el.closest('[hidden], [aria-hidden="true"]')) return false;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 || r.height > 0;
  };
  const inSentence = (a) => {
    if (a.tagName !== 'A' || getComputedStyle(a).display !== 'inline') return false;
    if (a.matches('.btn, [role=button]')) return false;
    const parent = a.parentElement;
    const own = (parent.textContent || '').replace(a.textContent || '', '').trim();
    return own.length > 0;
  };
  const labelOf = (el) => {
    if (el.closest('label')) return el.closest('label');
    if (el.id) return document.querySelector(`label[for="${CSS.escape(el.id)}"]`);
    return null;
  };
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '')
      .replace(/\\s+/g, ' ').trim().slice(0, 40);
    const cls = [...el.classList].slice(0, 3).map((c) => '.' + c).join('');
    return `${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${cls} "${text}"`;
  };
  const out = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.id === 'wedge-input') continue;
    if (!shown(el)) continue;
    if (inSentence(el)) continue;
    let box = el.getBoundingClientRect();
    const tiny = box.width <= 2 && box.height <= 2;
    if (el.matches('input[type=checkbox], input[type=radio], input[type=file]') || tiny) {
      const label = labelOf(el);
      if (label && shown(label)) box = label.getBoundingClientRect();
      else if (tiny) continue;  // visually hidden with no visible label: not a touch target
    }
    if (box.width + 0.5 < min || box.height + 0.5 < min) {
      out.push(`${describe(el)} is ${Math.round(box.width)}×${Math.round(box.height)} px`);
    }
  }
  return out;
}
"""

TEXT_SIZES_JS = """
(min) => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  while (walker.nextNode()) {
    const node = walker.currentNode;
    const el = node.parentElement;
    if (!el || seen.has(el) || !node.textContent.trim()) continue;
    seen.add(el);
    if (el.closest('[hidden], [aria-hidden="true"], .visually-hidden, script, style, svg, option'))
      continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'none' || cs.visibility === 'hidden') continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    const size = parseFloat(cs.fontSize);
    if (size > 0 && size + 0.01 < min) {  // 0: text drawn as an icon only (aria-label)
      const text = node.textContent.replace(/\\s+/g, ' ').trim().slice(0, 40);
      out.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''} "${text}" at ${size} px`);
    }
  }
  return out;
}
"""


def small_targets(page: Page) -> list[str]:
    found: list[str] = page.evaluate(TARGETS_JS, MIN_TARGET_PX)
    return found


def small_text(page: Page, min_px: float = MIN_TEXT_PX) -> list[str]:
    found: list[str] = page.evaluate(TEXT_SIZES_JS, min_px)
    return found


def font_px(page: Page, selector: str) -> float:
    size: str = page.eval_on_selector(selector, "el => getComputedStyle(el).fontSize")
    return float(size.removesuffix("px"))


# ---------------------------------------------------------------- the scan-result banner

BANNER_ICONS = {"ok": "✔", "error": "✖", "warn": "⚠"}


def banner_signals(page: Page) -> dict[str, Any]:
    """What the banner shows besides its colour: the icon glyph (drawn, not empty), the
    sentence, and the background colour (for telling states apart)."""
    found: dict[str, Any] = page.evaluate(
        """() => {
            const banner = document.getElementById('banner');
            const icon = document.getElementById('banner-icon');
            const text = document.getElementById('banner-text');
            const box = icon.getBoundingClientRect();
            const cs = getComputedStyle(icon);
            return {
              state: banner.dataset.state,
              icon: icon.textContent.trim(),
              icon_drawn: box.width >= 16 && box.height >= 16 && cs.visibility !== 'hidden'
                && cs.display !== 'none' && parseFloat(cs.opacity) > 0.5,
              icon_px: parseFloat(cs.fontSize),
              text: text.textContent.trim(),
              text_px: parseFloat(getComputedStyle(text).fontSize),
              background: getComputedStyle(banner).backgroundColor,
            };
        }"""
    )
    return found


# ---------------------------------------------------------------- the pages


@dataclass(frozen=True)
class Route:
    rule: str  # as in the URL map, e.g. "/weigh/<station_id>"
    endpoint: str
    path: str  # what the browser opens


# Routes with arguments that render HTML: a sample value each (a new one fails the route test
# until it is added here). Values are callables of the live server so they can create data.
Sample = Callable[[Server], str]
FILE_SUFFIX = re.compile(r"\.(\w+|<[^>]+>)$")  # label.pdf, photo.jpg, label.<any(pdf, zpl):fmt>
NOT_PAGES = ("/api/", "/static/")


def url_rules(server: Server) -> Iterator[tuple[str, str, bool]]:
    """(rule, endpoint, has_arguments) of every GET route of the app the server runs, read
    from a second app built in this process over the same database."""
    from tests.support.warehouse import make_app

    app = make_app(server.database_url)
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()):
            yield rule.rule, rule.endpoint, bool(rule.arguments)


def html_routes(
    server: Server, samples: dict[str, Sample]
) -> tuple[list[Route], list[str], list[str]]:
    """Every GET route that answers with an HTML page: (pages, skipped with the reason,
    routes with arguments that have no sample yet)."""
    pages: list[Route] = []
    skipped: list[str] = []
    missing: list[str] = []
    for rule, endpoint, has_args in sorted(url_rules(server)):
        if rule.startswith(NOT_PAGES) or endpoint == "static":
            skipped.append(f"{rule}: API or static files")
            continue
        if has_args and FILE_SUFFIX.search(rule):
            skipped.append(f"{rule}: a file, not a page")
            continue
        if has_args:
            if rule not in samples:
                missing.append(rule)
                continue
            path = samples[rule](server)
        else:
            path = rule
        resp = requests.get(server.url(path), timeout=10)
        kind = resp.headers.get("Content-Type", "")
        if resp.status_code == 200 and kind.startswith("text/html"):
            pages.append(Route(rule, endpoint, path))
        elif has_args:
            missing.append(f"{rule} (sample {path} answered {resp.status_code} {kind})")
        else:
            skipped.append(f"{rule}: {resp.status_code} {kind.split(';')[0]}")
    return pages, skipped, missing


# ---------------------------------------------------------------- screenshots


def screenshots_wanted() -> bool:
    return os.environ.get(SCREENSHOTS_ENV, "") not in ("", "0")


def shoot(page: Page, name: str, artifacts: Path, full_page: bool = False) -> Path:
    """docs/screenshots/NAME.png when DOCKHAND_SCREENSHOTS=1 (to refresh the README's
    pictures), else the test artifacts folder, so a plain test run never dirties the tree."""
    folder = SCREENSHOT_DIR if screenshots_wanted() else artifacts / "a11y"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.png"
    settle(page)
    page.screenshot(path=str(target), full_page=full_page, animations="disabled", caret="hide")
    return target
