"""The interface in Japanese (the source language) or in English.

The English catalogue is ``locale/en/LC_MESSAGES/messages.po``: each msgid is a Japanese UI string
exactly as written in a template's ``_("…")`` (or in Python, ``_("…")`` with a request's gettext,
``N_("…")`` where a template translates it later), its msgstr the English. The catalogue is read
and compiled in memory on first use, so no compiled ``.mo`` file is kept; Japanese is the identity.
A message with ``%(name)s`` placeholders gets its values as keywords: ``_("%(n)s 件", n=3)`` (a
literal ``%`` is then written ``%%``). Translated text is plain text: templates escape it. Where a
value is markup (``Markup``, e.g. data wrapped in ``<span lang="ja">``), the message is escaped, the
other values too, and the result is markup: a sentence of the interface can hold the document's
words marked as Japanese.

The document's own text (the strategy, ministry and project names, anything from data) is never
translated; templates put it inside an element with ``lang="ja"``.

The language: ``?lang=en`` or ``?lang=ja`` on any page, kept in the ``lang`` cookie by
:class:`LanguageCookie`; otherwise the cookie; otherwise Japanese.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, partial
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import Markup, escape
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection, Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ebpm.web import editions

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
SOURCE = "ja"  # the language the templates are written in: its "translation" is the identity
LANGUAGES = ("ja", "en")
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
LANGUAGE_NAMES = {"ja": "日本語", "en": "English"}  # each in its own language, for the switch

Gettext = Callable[..., str]


def N_(message: str) -> str:
    """Marks ``message`` as a msgid that a template translates later (``{{ _(value) }}``)."""
    return message


def catalogue_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def translations(lang: str) -> NullTranslations:
    """The catalogue of ``lang``, compiled in memory once; fuzzy and empty entries are left out
    (their msgid is shown, in Japanese)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r}: use one of {', '.join(LANGUAGES)}")
    if lang == SOURCE:
        return NullTranslations()
    with catalogue_path(lang).open("rb") as po:
        catalog = read_po(po, locale=lang, domain=DOMAIN, abort_invalid=True)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


@cache
def gettext(lang: str) -> Gettext:
    """``_`` for ``lang``: the translation of a msgid, with ``%(name)s`` placeholders filled."""
    catalogue = translations(lang)

    def _(message: str, /, **values: Any) -> str:
        if not message:  # gettext("") is the catalogue's header
            return message
        text = catalogue.gettext(message)
        if not values:
            return text
        if any(isinstance(v, Markup) for v in values.values()):
            return escape(text) % values  # Markup's % escapes the values that are not markup
        return text % values

    return _


def load() -> None:
    """Read every catalogue now, so that a broken one stops the server at start."""
    for lang in LANGUAGES:
        gettext(lang)


def _valid(value: str | None) -> str | None:
    return value if value in LANGUAGES else None


def language(conn: HTTPConnection) -> str:
    """The language of this request: ``?lang=``, else the ``lang`` cookie, else Japanese."""
    return _valid(conn.query_params.get("lang")) or _valid(conn.cookies.get(COOKIE)) or SOURCE


def gettext_for(conn: HTTPConnection) -> Gettext:
    """``_`` in the language of this request (for messages made in Python)."""
    return gettext(language(conn))


def switch_url(request: Request, lang: str) -> str:
    """This page in ``lang``: its path and query with ``lang`` set. A form's answer (a POST) has
    no page to show again, so its link goes to the nearest path above it that has a GET page."""
    path = request.url.path
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    if request.method not in ("GET", "HEAD"):
        path, params = _page_above(request, path), []
    return f"{path}?{urlencode([*params, ('lang', lang)])}"


def _page_above(request: Request, path: str) -> str:
    routes = request.app.router.routes
    while path not in ("", "/"):
        scope = {"type": "http", "path": path, "root_path": "", "method": "GET"}
        if any(route.matches(scope)[0] == Match.FULL for route in routes):
            return path
        path = path.rsplit("/", 1)[0]
    return "/"


def template_context(request: Request) -> dict[str, Any]:
    """What every template gets: ``lang``, ``_`` in that language, and ``lang_url(lang)``."""
    lang = language(request)
    return {
        "lang": lang,
        "_": gettext(lang),
        "lang_url": partial(switch_url, request),
        "edition_nav": editions.nav(request),
        "edition_url": partial(editions.url_for_edition, request),
    }


def cookie_header(lang: str, secure: bool) -> str:
    return f"{COOKIE}={lang}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax; HttpOnly" + (
        "; Secure" if secure else ""
    )


class LanguageCookie:
    """Keeps a language chosen with ``?lang=`` in the ``lang`` cookie (a year, every path), and
    says that a page varies with the cookie (its language)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"))
        chosen = _valid(dict(query).get("lang"))  # the last one, as Starlette's query_params reads it

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if chosen is not None:
                    headers.append("set-cookie", cookie_header(chosen, scope.get("scheme") == "https"))
                if headers.get("content-type", "").startswith("text/html"):
                    headers.add_vary_header("Cookie")
            await send(message)

        await self.app(scope, receive, send_with_cookie)
