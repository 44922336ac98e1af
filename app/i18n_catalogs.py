"""The message catalogs: extract, update, compile and check (`dockhand i18n ...`).

English is the source language: every message id is the English text, so English needs no
catalog. German, Dutch and Polish live in ``app/translations/<lang>/LC_MESSAGES/messages.po``
(committed, without line numbers so that parallel work does not conflict on them). The binary
``.mo`` files are never committed: ``compile_to`` builds them from the ``.po`` files when the app
starts (``app/web/i18n.py``), into a cache directory named after the catalogs' content.

    dockhand i18n extract   # the templates, Python and JS strings into a .pot (stdout or -o)
    dockhand i18n update    # extract, then add new message ids to every .po, drop unused ones
    dockhand i18n compile   # .po -> .mo into a directory (-d), e.g. for pybabel-free servers
    dockhand i18n check     # exit 1 listing missing, empty, fuzzy or mismatched translations
"""

from __future__ import annotations

import argparse
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "app" / "translations"
MAPPING = TRANSLATIONS / "babel.cfg"
DOMAIN = "messages"
SOURCE_LANGUAGE = "en"
# The languages every screen must be complete in (English is the message ids themselves).
TARGET_LANGUAGES = ("de", "nl", "pl")
LANGUAGES = (SOURCE_LANGUAGE, *TARGET_LANGUAGES)
# Python: msg()/N_() from app/domain/text.py; templates: _(); JS: t() and tn() from i18n.js.
KEYWORDS: dict[str, Any] = {
    **DEFAULT_KEYWORDS,
    "msg": None,
    "nmsg": (1, 2),
    "t": None,
    "tn": (1, 2),
    "_words": None,  # labels/packing_slip.py: _words("Order", t)
}
# Only these top-level folders are searched (never .venv, var, tests).
SOURCE_DIRS = ("app", "stations", "labels", "static")
UPDATE_COMMAND = "dockhand i18n update"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]|%[sdif]")


def po_path(lang: str, root: Path = TRANSLATIONS) -> Path:
    return root / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def _walk_filter(root: Path) -> Any:
    def keep(dirname: str) -> bool:
        rel = Path(dirname).resolve().relative_to(root)
        if rel == Path("."):
            return True
        name = rel.name
        if name.startswith((".", "_")) or name == "vendor":
            return False
        return rel.parts[0] in SOURCE_DIRS

    return keep


def extract(root: Path = ROOT) -> Catalog:
    """Every translatable string in the code, as a template catalog (no line numbers)."""
    parse: Any = parse_mapping_cfg  # untyped in Babel
    with MAPPING.open() as fh:
        method_map, options_map = parse(fh, str(MAPPING))
    template = Catalog(
        project="Dockhand",
        domain=DOMAIN,
        charset="utf-8",
        fuzzy=False,
        msgid_bugs_address="",
    )
    found = extract_from_dir(
        str(root),
        method_map,
        options_map,
        keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",),
        strip_comment_tags=True,
        directory_filter=_walk_filter(root.resolve()),
    )
    for filename, lineno, message, comments, context in found:
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        template.add(
            message,
            None,
            [(filename.replace(os.sep, "/"), lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def write_catalog(catalog: Catalog, path: Path) -> None:
    """A .po/.pot without line numbers, sorted by message id: stable under parallel edits."""
    buf = io.BytesIO()
    write_po(
        buf,
        catalog,
        width=100,
        sort_output=True,
        ignore_obsolete=True,
        include_lineno=False,
        omit_header=False,
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(buf.getvalue())
    tmp.replace(path)


def read_catalog(path: Path, lang: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def update(root: Path = ROOT, translations: Path = TRANSLATIONS) -> dict[str, int]:
    """Extract, then bring every target catalog in line: new ids added (untranslated, never
    guessed: no fuzzy matching), ids no longer in the code dropped. Returns untranslated
    counts per language."""
    template = extract(root)
    untranslated: dict[str, int] = {}
    for lang in TARGET_LANGUAGES:
        path = po_path(lang, translations)
        if path.exists():
            catalog = read_catalog(path, lang)
        else:
            catalog = Catalog(
                locale=lang,
                domain=DOMAIN,
                project="Dockhand",
                copyright_holder="Dockhand",
                language_team=f"Dockhand {lang}",
                last_translator="Dockhand",
                header_comment=f"# Dockhand: {lang} translations (docs/i18n.md).\n#",
                fuzzy=False,
            )
        created = catalog.creation_date
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.creation_date = created  # no header churn: the date of the file's creation
        catalog.fuzzy = False
        write_catalog(catalog, path)
        untranslated[lang] = sum(1 for m in catalog if m.id and not _translated(m))
    return untranslated


def _translated(message: Message) -> bool:
    if message.fuzzy:
        return False
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(bool(s) for s in strings)


def _placeholders(text: str) -> set[str]:
    return {m.group(0) for m in PLACEHOLDER.finditer(text.replace("%%", ""))}


@dataclass
class Problems:
    missing: dict[str, list[str]] = field(default_factory=dict)
    empty: dict[str, list[str]] = field(default_factory=dict)
    fuzzy: dict[str, list[str]] = field(default_factory=dict)
    placeholders: dict[str, list[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(any(v.values()) for v in self._groups().values())

    def _groups(self) -> dict[str, dict[str, list[str]]]:
        return {
            "missing from the catalog": self.missing,
            "empty translation": self.empty,
            "fuzzy (unchecked) translation": self.fuzzy,
            "placeholders differ from the English": self.placeholders,
        }

    def report(self) -> str:
        lines: list[str] = []
        for what, per_lang in self._groups().items():
            for lang, ids in per_lang.items():
                if not ids:
                    continue
                lines.append(f"{lang}: {len(ids)} {what}:")
                lines.extend(f"  {i!r}" for i in ids)
        if lines:
            lines.append(
                f"Run `{UPDATE_COMMAND}`, then translate the empty msgstr entries (and remove "
                f"'#, fuzzy') in app/translations/<lang>/LC_MESSAGES/messages.po; see docs/i18n.md."
            )
        return "\n".join(lines)


def _ids(catalog: Catalog) -> dict[Any, Message]:
    return {m.id: m for m in catalog if m.id}


def check(root: Path = ROOT, translations: Path = TRANSLATIONS) -> Problems:
    """Fresh extraction against each catalog: every id present, translated, not fuzzy, with
    the same placeholders as the English."""
    template = extract(root)
    wanted = _ids(template)
    problems = Problems()
    for lang in TARGET_LANGUAGES:
        path = po_path(lang, translations)
        have = _ids(read_catalog(path, lang)) if path.exists() else {}
        missing, empty, fuzzy, mismatched = [], [], [], []
        for key in wanted:
            shown = key[0] if isinstance(key, tuple) else key
            message = have.get(key)
            if message is None:
                missing.append(shown)
                continue
            if message.fuzzy:
                fuzzy.append(shown)
                continue
            if not _translated(message):
                empty.append(shown)
                continue
            if not _same_placeholders(message):
                mismatched.append(shown)
        problems.missing[lang] = missing
        problems.empty[lang] = empty
        problems.fuzzy[lang] = fuzzy
        problems.placeholders[lang] = mismatched
    return problems


def _same_placeholders(message: Message) -> bool:
    ids: Any = message.id
    string: Any = message.string
    if isinstance(ids, tuple):
        wanted = _placeholders(str(ids[0])) | _placeholders(str(ids[1]))
        strings = [str(s) for s in (string if isinstance(string, tuple | list) else (string,))]
        # A plural form may leave the number out ("one order"), never add a new name.
        return all(_placeholders(s) <= wanted for s in strings) and any(
            _placeholders(s) == _placeholders(str(ids[1])) for s in strings
        )
    return _placeholders(str(ids)) == _placeholders(str(string))


# ---------------------------------------------------------------- compiling


def catalogs_digest(translations: Path = TRANSLATIONS) -> str:
    h = sha256()
    for lang in TARGET_LANGUAGES:
        path = po_path(lang, translations)
        h.update(lang.encode())
        if path.exists():
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


def compile_to(out_dir: Path, translations: Path = TRANSLATIONS) -> Path:
    """Write <out_dir>/<lang>/LC_MESSAGES/messages.mo for every catalog (fuzzy entries left
    out, so they show in English). Atomic per file: several workers may compile at once."""
    for lang in TARGET_LANGUAGES:
        src = po_path(lang, translations)
        if not src.exists():
            continue
        catalog = read_catalog(src, lang)
        buf = io.BytesIO()
        write_mo(buf, catalog, use_fuzzy=False)
        dest = out_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getvalue())
        os.replace(tmp, dest)
    return out_dir


def compiled_dir(translations: Path = TRANSLATIONS) -> Path:
    """The .mo files for the current .po content, compiled once per content (cache dir)."""
    base = Path(
        os.environ.get("DOCKHAND_I18N_CACHE")
        or Path(tempfile.gettempdir()) / f"dockhand-i18n-{os.getuid()}"
    )
    out = base / catalogs_digest(translations)
    marker = out / ".complete"
    if not marker.exists():
        out.mkdir(parents=True, exist_ok=True)
        compile_to(out, translations)
        marker.write_text("ok\n")
    return out


def script_messages(catalog: Catalog) -> dict[str, Any]:
    """The translations for the station scripts, for /i18n/<lang>.json: id -> text, or id ->
    [plural forms]. All of them, not only the ids found in static/js: pages also translate
    codes and sentences the server pushes to a whole room (scale readings, queue labels)."""
    out: dict[str, Any] = {}
    for message in catalog:
        if not message.id or message.fuzzy or not _translated(message):
            continue
        ids: Any = message.id
        string: Any = message.string
        if isinstance(ids, tuple):
            out[str(ids[0])] = [str(s) for s in string]
        else:
            out[str(ids)] = str(string)
    return out


# ---------------------------------------------------------------- CLI


def _iter_report(untranslated: dict[str, int]) -> Iterator[str]:
    for lang, n in untranslated.items():
        yield f"{po_path(lang).relative_to(ROOT)}: {n} untranslated"


def main(argv: Iterable[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dockhand i18n", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="action", required=True)
    ex = sub.add_parser("extract", help="all translatable strings into a .pot")
    ex.add_argument("-o", "--output", help="file to write (default: stdout)")
    sub.add_parser("update", help="extract and merge into every language's .po")
    comp = sub.add_parser("compile", help="compile the .po files to .mo")
    comp.add_argument("-d", "--directory", help="output directory (default: the runtime cache)")
    sub.add_parser("check", help="fail on missing, empty, fuzzy or mismatched translations")
    args = p.parse_args(list(argv) if argv is not None else None)
    if args.action == "extract":
        template = extract()
        if args.output:
            write_catalog(template, Path(args.output))
            print(f"{len(template)} messages -> {args.output}")
        else:
            buf = io.BytesIO()
            write_po(buf, template, width=100, sort_output=True, include_lineno=False)
            sys.stdout.write(buf.getvalue().decode())
        return 0
    if args.action == "update":
        for line in _iter_report(update()):
            print(line)
        return 0
    if args.action == "compile":
        out = compile_to(Path(args.directory)) if args.directory else compiled_dir()
        print(f"compiled to {out}")
        return 0
    problems = check()
    if problems:
        print(problems.report())
        return 1
    print(f"catalogs complete: {', '.join(TARGET_LANGUAGES)}")
    return 0
