"""The compiled catalogs at run time, with no Flask: translate a sentence for a language.

Used by the web edge (``app/web/i18n.py``: pages, socket acknowledgements, the JSON the
station scripts load) and by services that render documents in a customer's language (the
packing slip in the ship-to country's language). English is the message ids themselves.
"""

from __future__ import annotations

import functools
import gettext
import json
import re
import threading
from collections.abc import Callable
from datetime import date, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from babel.core import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal
from babel.support import Translations

from app import i18n_catalogs as cat
from app.domain.text import Grams, Text

LANGUAGES: dict[str, str] = {"en": "English", "de": "Deutsch", "nl": "Nederlands", "pl": "Polski"}
DEFAULT_LANGUAGE = "en"
# Ship-to country (ISO 3166 alpha-2) -> the language of its packing slip; others get English.
COUNTRY_LANGUAGE: dict[str, str] = {
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "LI": "de",
    "NL": "nl",
    "BE": "nl",
    "PL": "pl",
}
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def normalize(lang: Any) -> str | None:
    """'de-DE', 'DE', 'de_AT' -> 'de'; anything we do not speak -> None."""
    if not isinstance(lang, str) or not lang:
        return None
    code = lang.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else None


def language_for_country(country: str | None) -> str:
    return COUNTRY_LANGUAGE.get((country or "").strip().upper(), DEFAULT_LANGUAGE)


class Catalogs:
    """The .mo files compiled from the .po files (once per content), loaded per language."""

    def __init__(self, translations: Path = cat.TRANSLATIONS) -> None:
        self.translations_dir = translations
        self.compiled = cat.compiled_dir(translations)
        self.digest = self.compiled.name
        self._lock = threading.Lock()
        self._gnu: dict[str, gettext.NullTranslations] = {}
        self._json: dict[str, tuple[bytes, str]] = {}
        self._patterns: dict[str, list[tuple[re.Pattern[str], str]]] = {}

    def translation(self, lang: str) -> gettext.NullTranslations:
        lang = normalize(lang) or DEFAULT_LANGUAGE
        found = self._gnu.get(lang)
        if found is None:
            with self._lock:
                if lang == DEFAULT_LANGUAGE:
                    found = gettext.NullTranslations()
                else:
                    found = Translations.load(str(self.compiled), [lang], cat.DOMAIN)
                self._gnu[lang] = found
        return found

    def gettext(self, lang: str, msgid: str) -> str:
        return self.translation(lang).gettext(msgid)

    def ngettext(self, lang: str, singular: str, plural: str, n: int) -> str:
        return self.translation(lang).ngettext(singular, plural, n)

    def script_catalog(self, lang: str) -> tuple[bytes, str]:
        """JSON for static/js/i18n.js and its ETag: {"lang", "messages": {id: text|[forms]}}."""
        lang = normalize(lang) or DEFAULT_LANGUAGE
        found = self._json.get(lang)
        if found is None:
            messages: dict[str, Any] = {}
            path = cat.po_path(lang, self.translations_dir)
            if lang != DEFAULT_LANGUAGE and path.exists():
                messages = cat.script_messages(cat.read_catalog(path, lang))
            body = json.dumps(
                {"lang": lang, "messages": messages}, ensure_ascii=False, sort_keys=True
            ).encode()
            found = (body, sha256(body).hexdigest()[:20])
            self._json[lang] = found
        return found

    def _reverse_patterns(self, lang: str) -> list[tuple[re.Pattern[str], str]]:
        """English sentences with values back to (message id, values): for answers stored as
        plain English (a replayed scan) and strings that lost their Text on the way."""
        found = self._patterns.get(lang)
        if found is None:
            tr = self.translation(lang)
            catalog = getattr(tr, "_catalog", {})
            ids = [k for k in catalog if isinstance(k, str) and _PLACEHOLDER.search(k)]
            # The most literal text first: the most specific pattern wins.
            ids.sort(key=lambda k: len(_PLACEHOLDER.sub("", k)), reverse=True)
            found = []
            for msgid in ids:
                parts = _PLACEHOLDER.split(msgid)
                names = parts[1::2]
                if len(set(names)) != len(names):
                    continue
                rx = "".join(
                    re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)
                )
                found.append((re.compile(rx + r"\Z", re.S), msgid))
            self._patterns[lang] = found
        return found

    def translate_english(self, lang: str, english: str) -> str:
        """A plain English sentence in `lang`: by its id, or by matching a sentence with values;
        unknown sentences stay English."""
        if not english or normalize(lang) in (None, DEFAULT_LANGUAGE):
            return english
        tr = self.translation(lang)
        direct = tr.gettext(english)
        if direct != english:
            return direct
        for rx, msgid in self._reverse_patterns(lang):
            m = rx.match(english)
            if m is None:
                continue
            values = {k: tr.gettext(v) for k, v in m.groupdict().items()}
            try:
                return tr.gettext(msgid) % values
            except (KeyError, ValueError, TypeError):
                return english
        return english


@functools.cache
def catalogs() -> Catalogs:
    return Catalogs()


def format_grams(g: int | None, lang: str) -> str:
    """950 g / 1.25 kg in the language's number format ('1,25 kg' in German)."""
    if g is None:
        return "—"
    locale = Locale.parse(normalize(lang) or DEFAULT_LANGUAGE)
    if abs(g) >= 1000:
        return f"{format_decimal(g / 1000, format='#,##0.00', locale=locale)} kg"
    return f"{format_decimal(g, locale=locale)} g"


def format_number(value: float | int | None, lang: str, digits: int | None = None) -> str:
    if value is None:
        return "—"
    locale = Locale.parse(normalize(lang) or DEFAULT_LANGUAGE)
    if digits is None:
        return str(format_decimal(value, locale=locale))
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=locale))


def format_when(value: datetime | date | None, lang: str, width: str = "short") -> str:
    if value is None:
        return "—"
    locale = Locale.parse(normalize(lang) or DEFAULT_LANGUAGE)
    if isinstance(value, datetime):
        return str(format_datetime(value, format=width, locale=locale))
    return str(format_date(value, format=width, locale=locale))


def render(text: Text, lang: str, store: Catalogs | None = None) -> str:
    """A Text in `lang`: its id looked up, its values filled in (translated when they are
    Text themselves, weights in the language's number format). A translation whose
    placeholders do not fit its values falls back to the English."""
    lang = normalize(lang) or DEFAULT_LANGUAGE
    if lang == DEFAULT_LANGUAGE:
        return str.__str__(text)
    store = store or catalogs()
    if text.plural is not None:
        template = store.ngettext(lang, text.msgid, text.plural, text.n)
    else:
        template = store.gettext(lang, text.msgid)
    if not text.values:
        return template
    values = {k: _value(v, lang, store) for k, v in text.values.items()}
    try:
        return template % values
    except (KeyError, ValueError, TypeError):
        return str.__str__(text)


def _value(v: Any, lang: str, store: Catalogs) -> Any:
    if isinstance(v, Text):
        return render(v, lang, store)
    if isinstance(v, Grams):
        return format_grams(int(v), lang)
    return v


def localize(value: Any, lang: str, store: Catalogs | None = None) -> Any:
    """Every Text inside a JSON-able value (dicts, lists) rendered in `lang`; other values
    (codes, names, numbers) untouched."""
    if normalize(lang) in (None, DEFAULT_LANGUAGE):
        return value
    store = store or catalogs()
    if isinstance(value, Text):
        return render(value, lang, store)
    if isinstance(value, dict):
        return {k: localize(v, lang, store) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [localize(v, lang, store) for v in value]
    return value


def translator(lang: str) -> Callable[..., str]:
    """gettext for one language with %(name)s values, for renderers: tr("Qty %(n)s", n=2)."""
    store = catalogs()

    def tr(msgid: str, **values: Any) -> str:
        template = store.gettext(lang, msgid)
        if not values:
            return template
        try:
            return template % values
        except (KeyError, ValueError, TypeError):
            return msgid % values

    return tr
