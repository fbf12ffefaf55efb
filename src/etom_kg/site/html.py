"""A few helpers that write well-formed (polyglot) HTML: every value escaped, every
attribute quoted, every element closed, so pages parse as XML too and tests can read them
with the standard library."""

from __future__ import annotations

from html import escape

from .model import Text


def esc(value) -> str:
    return escape(str(value), quote=True)


def attrs(values: dict | None) -> str:
    if not values:
        return ""
    out = []
    for name, value in values.items():
        if value is None or value is False:
            continue
        out.append(f' {name}="{esc(name if value is True else value)}"')
    return "".join(out)


def el(tag: str, content: str = "", attributes: dict | None = None) -> str:
    """``content`` is HTML already (built by these helpers); text goes through :func:`esc`."""
    return f"<{tag}{attrs(attributes)}>{content}</{tag}>"


def void(tag: str, attributes: dict | None = None) -> str:
    return f"<{tag}{attrs(attributes)}/>"


def breakable(text: str) -> str:
    """Escaped text that may wrap after a slash ("Proveedores/Socios" in a narrow band)."""
    return esc(text).replace("/", "/<wbr/>")


def bi(text: Text, tag: str = "span", cls: str = "") -> str:
    """Both languages; the stylesheet shows the one the reader chose."""
    extra = f" {cls}" if cls else ""
    return "".join(
        el(tag, breakable(text.get(lang)), {"class": f"l{extra}", "lang": lang}) for lang in ("en", "es")
    )


def link(href: str, content: str, attributes: dict | None = None) -> str:
    return el("a", content, {"href": href, **(attributes or {})})


def external(href: str) -> str:
    """A link out of the site: shown, never fetched by the page."""
    return link(href, esc(href), {"rel": "external noopener noreferrer", "class": "external"})
