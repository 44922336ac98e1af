"""Every page and station message in the reader's language (English, German, Dutch, Polish).

Templates write ``{{ _("Scan location") }}`` or ``{{ _("%(n)s units", n=3) }}`` (Flask-Babel,
Jinja's i18n extension, new-style: values are escaped); station scripts import ``t`` from
``static/js/i18n.js``, which loads ``/i18n/<lang>.json``: the same catalogs, the script part.
Services build station sentences with ``msg()`` (``app/domain/text.py``); ``localize_ack`` turns
them into the signed-in person's language when the acknowledgement leaves.

The language, first that applies:
1. the signed-in person's language (socket session, set at sign-in from ``users.language``);
2. ``?lang=xx`` in the page URL;
3. the ``dockhand_lang`` cookie: set by the station script when someone signs in or picks a
   language on this device;
4. the browser's Accept-Language (the station's own setting);
5. English.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, Response, abort, request, session, url_for
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

from app.adapters import translations as tx
from app.adapters.translations import LANGUAGES, normalize
from app.domain.text import Text

COOKIE = "dockhand_lang"
SESSION_KEY = "lang"

i18n = Blueprint("i18n", __name__)


def select_language() -> str:
    signed_in = normalize(session.get(SESSION_KEY))
    if signed_in:
        return signed_in
    for candidate in (request.args.get("lang"), request.cookies.get(COOKIE)):
        found = normalize(candidate)
        if found:
            return found
    accepted = request.accept_languages.best_match(list(LANGUAGES))
    return normalize(accepted) or tx.DEFAULT_LANGUAGE


def current_language() -> str:
    locale = get_locale()
    return normalize(locale.language if locale is not None else None) or tx.DEFAULT_LANGUAGE


def localize_ack(ack: Any, lang: str | None = None) -> Any:
    """A station acknowledgement in the reader's language: every Text inside it, and a plain
    English top-level "message" (a replayed answer) matched back to its sentence."""
    # The signed-in person's language straight from the socket session: Flask-Babel's
    # get_locale() re-parses the request on every event, a cost paid on every scan.
    lang = lang or normalize(session.get(SESSION_KEY)) or current_language()
    if lang == tx.DEFAULT_LANGUAGE:
        return ack
    store = tx.catalogs()
    out = tx.localize(ack, lang, store)
    if isinstance(out, dict):
        message = out.get("message")
        original = ack.get("message") if isinstance(ack, dict) else None
        if isinstance(message, str) and not isinstance(original, Text):
            out["message"] = store.translate_english(lang, message)
    return out


def translate(text: str, lang: str | None = None) -> str:
    """One sentence (Text or plain English) in the reader's language."""
    lang = lang or current_language()
    if isinstance(text, Text):
        return tx.render(text, lang)
    return tx.catalogs().translate_english(lang, text)


@i18n.get("/i18n/<lang>.json")
def script_catalog(lang: str) -> Response:
    """The station scripts' share of a catalog. With ?v=<digest> (as the pages link it) it
    never changes, so browsers and the pick app's service worker keep it."""
    code = normalize(lang)
    if code is None or code != lang:
        abort(404)
    body, etag = tx.catalogs().script_catalog(code)
    resp = Response(body, mimetype="application/json")
    resp.set_etag(etag)
    if request.args.get("v") == tx.catalogs().digest:
        resp.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    else:
        resp.headers["Cache-Control"] = "public, max-age=300"
    resp.make_conditional(request)
    return resp


def init_i18n(app: Flask) -> None:
    store = tx.catalogs()  # compiles the .po files on first use (once per content)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(store.compiled)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", tx.DEFAULT_LANGUAGE)
    Babel(app, locale_selector=select_language)
    app.register_blueprint(i18n)

    # Like Jinja's new-style gettext (the translation is trusted markup, values are escaped)
    # but formatting only when values are given, as Text does: "100 %" needs no doubling.
    @pass_context
    def gettext(ctx: Any, message: str, **values: Any) -> str:
        rv: str = get_translations().ugettext(message)
        if ctx.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % values if values else rv

    @pass_context
    def ngettext(ctx: Any, singular: str, plural: str, num: int, **values: Any) -> str:
        values.setdefault("num", num)
        rv: str = get_translations().ungettext(singular, plural, num)
        if ctx.eval_ctx.autoescape:
            rv = Markup(rv)
        return rv % values

    app.jinja_env.globals.update(gettext=gettext, ngettext=ngettext)

    def grams(g: int | None) -> str:
        return tx.format_grams(g, current_language())

    def number(value: float | int | None, digits: int | None = None) -> str:
        return tx.format_number(value, current_language(), digits)

    def when(value: Any, width: str = "short") -> str:
        return tx.format_when(value, current_language(), width)

    def mono(value: Any) -> Markup:
        """A code inside a translated sentence: {{ _("Or scan %(code)s.", code=c|mono) }}."""
        return Markup('<span class="mono">{}</span>').format(value)

    app.jinja_env.filters.update(grams=grams, number=number, when=when, mono=mono)
    # A server-built sentence (Text or plain English) in the reader's language.
    app.jinja_env.globals.update(translate=translate)

    @app.context_processor
    def _language() -> dict[str, Any]:
        lang = current_language()
        return {
            "lang": lang,
            "languages": LANGUAGES,
            "i18n_url": url_for("i18n.script_catalog", lang=lang, v=store.digest),
        }
