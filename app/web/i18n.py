"""Translations for every page (placeholder until Flask-Babel catalogs land).

Templates write user-visible text as ``{{ _("Scan location") }}`` or, with values,
``{{ _("%(n)s units", n=3) }}``; JavaScript imports ``t`` from ``static/js/i18n.js`` with
the same ``%(name)s`` placeholders. This shim returns the English text unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def _identity(message: str, **values: Any) -> str:
    return message % values if values else message


def init_i18n(app: Flask) -> None:
    app.jinja_env.globals.setdefault("_", _identity)
