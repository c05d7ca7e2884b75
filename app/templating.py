"""The one Jinja environment (Starlette's, so autoescape is on), with gettext and a few filters."""

from __future__ import annotations

from starlette.templating import Jinja2Templates

from app import __version__
from app.config import TEMPLATES_DIR
from app.i18n import LOCALE_NAMES, current_locale, translations

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
env = templates.env
env.add_extension("jinja2.ext.i18n")


def _lookup(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def _lookup_plural(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


# Newstyle: Jinja fills in the placeholders itself (num=n for ngettext, plus any named ones) and escapes them. So it
# gets the bare catalog look-ups: app.i18n's ngettext formats too, which would fill in num alone and fail on any
# other placeholder ({{ ngettext("%(num)s vote for %(title)s", ..., n, title=t) }}).
env.install_gettext_callables(_lookup, _lookup_plural, newstyle=True)  # type: ignore[attr-defined]
env.globals.update(
    version=__version__,
    locale=lambda: current_locale.get(),
    locale_names=LOCALE_NAMES,
)


def render_fragment(name: str, **context: object) -> str:
    """Render a fragment template to a string (used by the first page render and by the live push alike)."""
    return env.get_template(name).render(**context)
