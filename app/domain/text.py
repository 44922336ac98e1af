"""Sentences for people, written once in English and translated at the edge.

A service or domain rule builds what a station shows as ``msg("Wrong location: go to
%(location)s.", location="A-01-01-A")``: a ``Text`` is an ordinary ``str`` holding the English
sentence (so logs, the scan log and every existing comparison keep working), and it remembers
its message id and values. The station edge (``app.web.i18n.localize``) looks the message id up
in the signed-in person's language and fills in the values, themselves translated when they
are ``Text`` too. ``N_("...")`` marks a constant for extraction without changing it.

``pybabel extract`` (``dockhand i18n extract``) finds the message ids through the ``msg`` and
``N_`` keywords; see docs/i18n.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


class Text(str):
    """An English sentence that remembers how to be translated. With ``plural`` set it is a
    counted sentence: ``n`` picks the form (English: singular for 1)."""

    msgid: str
    values: dict[str, Any]
    plural: str | None
    n: int

    def __new__(
        cls,
        msgid: str,
        values: dict[str, Any] | None = None,
        plural: str | None = None,
        n: int = 1,
    ) -> Text:
        values = dict(values or {})
        english = plural if plural is not None and n != 1 else msgid
        rendered = english % values if values else english
        obj = super().__new__(cls, rendered)
        obj.msgid = msgid
        obj.values = values
        obj.plural = plural
        obj.n = n
        return obj

    def __reduce__(self) -> tuple[Any, ...]:
        return (Text, (self.msgid, self.values, self.plural, self.n))


def msg(msgid: str, **values: Any) -> Text:
    """A sentence for a station: English now, the reader's language at the edge."""
    return Text(msgid, values)


def nmsg(singular: str, plural: str, count: int, /, **values: Any) -> Text:
    """A counted sentence: ``nmsg("%(n)s carton", "%(n)s cartons", n, n=n)``."""
    return Text(singular, values, plural, count)


def N_(msgid: str) -> str:
    """Marks a constant sentence for the catalogs; translated where it is shown."""
    return msgid


class Grams(int):
    """A weight in a sentence: "950 g" or "1.25 kg" in English, "1,25 kg" in German."""

    def __str__(self) -> str:
        return english_grams(int(self))

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else int(self).__format__(spec)


def english_grams(g: int) -> str:
    return f"{g / 1000:.2f} kg" if abs(g) >= 1000 else f"{g} g"


def spec(text: str) -> dict[str, Any] | None:
    """A Text as data a page translates itself (for pushes sent to a whole room, where the
    server cannot know each reader's language): {"id", "values"}; weights as {"grams": n}."""
    if not isinstance(text, Text) or text.plural is not None:
        return None
    values: dict[str, Any] = {}
    for key, value in text.values.items():
        if isinstance(value, Grams):
            values[key] = {"grams": int(value)}
        elif isinstance(value, int | float | str) or value is None:
            values[key] = value if not isinstance(value, str) else str(value)
        else:
            values[key] = str(value)
    return {"id": text.msgid, "values": values}


def join(parts: Sequence[str], sep: str = " ") -> Text:
    """Several sentences shown as one, each still translatable."""
    values = {f"p{i}": part for i, part in enumerate(parts)}
    return Text(sep.join(f"%(p{i})s" for i in range(len(parts))), values)
