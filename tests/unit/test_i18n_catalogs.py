"""The message catalogs: every screen string in German, Dutch and Polish, and the machinery that
turns an English sentence into the reader's language.

The completeness test extracts the strings from the code right now (templates, Python,
JavaScript) into a temporary .pot and compares every language's .po with it: a missing, empty
or fuzzy translation, or one whose %(name)s placeholders differ from the English, fails it
with the list of message ids and the command to run (docs/i18n.md).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from app import i18n_catalogs as cat
from app.adapters import translations as tx
from app.domain.text import Grams, join, msg, nmsg, spec


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh extraction of the code into a temporary .pot."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    cat.write_catalog(cat.extract(), pot)
    return pot


def test_extraction_finds_strings_of_every_kind_of_source(template: Path) -> None:
    with template.open("rb") as fh:
        catalog = read_po(fh)
    files = {loc for m in catalog for loc, _ in m.locations}
    assert any(f.startswith("static/js/") for f in files), "no JavaScript strings extracted"
    assert any(f.endswith(".html") for f in files), "no template strings extracted"
    assert any(f.startswith("app/domain/") for f in files), "no domain sentences extracted"
    ids = {m.id for m in catalog}
    assert "Scan your badge" in ids  # base.html
    assert "Wrong location: go to %(location)s." in ids  # domain and pick-rules.js
    assert ("%(n)s scan waiting to send", "%(n)s scans waiting to send") in ids  # tn() in JS


def test_catalogs_are_complete_for_german_dutch_and_polish(template: Path) -> None:
    problems = cat.check()
    assert not problems, "\n" + problems.report()


def test_the_check_fails_on_a_missing_empty_fuzzy_or_mismatched_translation(
    tmp_path: Path,
) -> None:
    """The completeness test can fail: break a copy of the German catalog four ways."""
    shutil.copytree(cat.TRANSLATIONS, tmp_path / "translations")
    path = cat.po_path("de", tmp_path / "translations")
    catalog = cat.read_catalog(path, "de")
    del catalog["Scan your badge"]
    catalog["Sign in"].string = ""
    catalog["Sign out"].flags.add("fuzzy")
    catalog["Wrong location: go to %(location)s."].string = "Falscher Lagerplatz."
    cat.write_catalog(catalog, path)

    before = cat.check()  # strings added a minute ago may be untranslated still: compare
    problems = cat.check(translations=tmp_path / "translations")

    def new(kind: str, lang: str = "de") -> list[str]:
        seen = set(getattr(before, kind)[lang])
        return [i for i in getattr(problems, kind)[lang] if i not in seen]

    assert new("missing") == ["Scan your badge"]
    assert new("empty") == ["Sign in"]
    assert new("fuzzy") == ["Sign out"]
    assert new("placeholders") == ["Wrong location: go to %(location)s."]
    report = problems.report()
    assert "'Scan your badge'" in report and "dockhand i18n update" in report
    assert not new("missing", "nl") and not new("missing", "pl")


def test_compiled_catalogs_leave_fuzzy_entries_out(tmp_path: Path) -> None:
    shutil.copytree(cat.TRANSLATIONS, tmp_path / "translations")
    path = cat.po_path("nl", tmp_path / "translations")
    catalog = cat.read_catalog(path, "nl")
    catalog["Sign out"].flags.add("fuzzy")
    cat.write_catalog(catalog, path)
    store = tx.Catalogs(tmp_path / "translations")
    assert store.gettext("nl", "Sign in") == "Aanmelden"
    assert store.gettext("nl", "Sign out") == "Sign out"  # unchecked: English, not a guess


def test_a_sentence_renders_in_the_readers_language_with_its_values() -> None:
    text = msg("Wrong location: go to %(location)s.", location="A01-02-3")
    assert text == "Wrong location: go to A01-02-3."  # English everywhere it is a str
    assert tx.render(text, "de") == "Falscher Lagerplatz: geh zu A01-02-3."
    assert tx.render(text, "nl") == "Verkeerde locatie: ga naar A01-02-3."
    assert tx.render(text, "pl") == "Zła lokalizacja: idź do A01-02-3."
    assert tx.render(text, "en") == "Wrong location: go to A01-02-3."


def test_values_that_are_sentences_or_weights_are_localized_too() -> None:
    stop = msg(
        "Stop: order %(order_number)s is %(value)s (%(why)s). "
        "Take what you picked to the exceptions desk.",
        order_number="SO-1",
        value=msg("cancelled"),
        why="customer",
    )
    assert "storniert" in tx.render(stop, "de")
    weight = msg("Tare %(weight)s", weight=Grams(1250))
    assert weight == "Tare 1.25 kg"
    assert tx.render(weight, "de") == "Tara 1,25 kg"
    assert tx.render(weight, "pl") == "Tara 1,25 kg"


def test_polish_uses_its_three_plural_forms() -> None:
    def cartons(n: int) -> str:
        return tx.render(nmsg("%(n)s order", "%(n)s orders", n, n=n), "pl")

    assert cartons(1) == "1 zamówienie"
    assert cartons(3) == "3 zamówienia"
    assert cartons(5) == "5 zamówień"
    assert cartons(22) == "22 zamówienia"
    assert nmsg("%(n)s order", "%(n)s orders", 2, n=2) == "2 orders"


def test_joined_sentences_translate_each_part() -> None:
    both = join([msg("Put in tote. Task done."), msg("Item OK.")])
    assert both == "Put in tote. Task done. Item OK."
    assert tx.render(both, "de") == "In den Behälter. Aufgabe erledigt. Artikel OK."


def test_plain_english_answers_are_matched_back_to_their_sentence() -> None:
    """A replayed scan answer is stored as English text: it still reaches the reader in their
    language, its values kept."""
    store = tx.catalogs()
    english = "Wrong tote: this order is in tote T000123."
    assert store.translate_english("de", english) == (
        "Falscher Behälter: dieser Auftrag ist in Behälter T000123."
    )
    assert store.translate_english("nl", "Sign in") == "Aanmelden"
    assert store.translate_english("de", "Not a sentence we know.") == "Not a sentence we know."


def test_a_broken_translation_falls_back_to_english_instead_of_failing(tmp_path: Path) -> None:
    shutil.copytree(cat.TRANSLATIONS, tmp_path / "translations")
    path = cat.po_path("de", tmp_path / "translations")
    catalog = cat.read_catalog(path, "de")
    catalog["Wrong location: go to %(location)s."].string = "Falscher Platz: %(loc)s."
    cat.write_catalog(catalog, path)
    store = tx.Catalogs(tmp_path / "translations")
    text = msg("Wrong location: go to %(location)s.", location="A01")
    assert tx.render(text, "de", store) == "Wrong location: go to A01."
    assert tx.render(text, "xx", store) == "Wrong location: go to A01."  # unknown language


def test_localize_translates_texts_anywhere_in_an_answer_and_nothing_else() -> None:
    ack = {
        "ok": False,
        "result": "wrong_item",
        "message": msg("Wrong item: this is not %(sku)s.", sku="TSHIRT-BLK-S"),
        "task": {"sku": "Sign in", "notes": [msg("Sign in")]},
    }
    out = tx.localize(ack, "de")
    assert out["message"] == "Falscher Artikel: das ist nicht TSHIRT-BLK-S."
    assert out["result"] == "wrong_item"
    assert out["task"]["sku"] == "Sign in"  # data, not a sentence: untouched
    assert out["task"]["notes"] == ["Anmelden"]


def test_room_pushes_carry_the_message_id_for_the_page_to_translate() -> None:
    text = msg("Tare %(weight)s", weight=Grams(950))
    assert spec(text) == {"id": "Tare %(weight)s", "values": {"weight": {"grams": 950}}}
    assert spec("plain") is None


def test_packing_slips_follow_the_ship_to_country() -> None:
    assert tx.language_for_country("DE") == "de"
    assert tx.language_for_country("at") == "de"
    assert tx.language_for_country("CH") == "de"
    assert tx.language_for_country("NL") == "nl"
    assert tx.language_for_country("BE") == "nl"
    assert tx.language_for_country("PL") == "pl"
    assert tx.language_for_country("GB") == "en"
    assert tx.language_for_country(None) == "en"
    assert tx.translator("nl")("Order %(order)s", order="SO-9") == "Order SO-9"
    assert tx.translator("de")("Order %(order)s", order="SO-9") == "Auftrag SO-9"


def test_weights_and_numbers_use_the_languages_separators() -> None:
    assert tx.format_grams(1250, "en") == "1.25 kg"
    assert tx.format_grams(1250, "de") == "1,25 kg"
    assert tx.format_grams(950, "nl") == "950 g"
    assert tx.format_number(12345.5, "de", 1) == "12.345,5"
    assert tx.format_number(12345.5, "en", 1) == "12,345.5"


def test_the_script_catalog_holds_the_translations_and_their_plural_forms() -> None:
    body, etag = tx.catalogs().script_catalog("pl")
    import json

    data = json.loads(body)
    assert data["lang"] == "pl"
    assert data["messages"]["Sign in"] == "Zaloguj"
    assert data["messages"]["%(n)s scan waiting to send"] == [
        "%(n)s skan czeka na wysłanie",
        "%(n)s skany czekają na wysłanie",
        "%(n)s skanów czeka na wysłanie",
    ]
    assert etag and json.loads(tx.catalogs().script_catalog("en")[0])["messages"] == {}
