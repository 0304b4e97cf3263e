"""The template engine of published pages: Jinja2, autoescaping every value.

Why not Django's own engine, which the admin uses: a full publication renders some 20,000 pages
and Django's engine interprets its node tree on every render, while Jinja2 compiles each
template to Python once. Rendering the 10,000-trial benchmark went from ~80% of the build time
to a small part of it (see README, Benchmarks). The escaping rules are the same: every value
is HTML-escaped unless it is markup the code built itself (``markupsafe.Markup``, or Django's
``SafeString``, which has the same ``__html__`` protocol).

``StrictUndefined`` makes a misspelt or missing context key an error at build time instead of
a silently empty cell on a page that patients read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jinja2
from django.utils.text import capfirst
from markupsafe import Markup, escape

TEMPLATE_DIR = Path(__file__).resolve().parent / "jinja2"


def plural(count: int) -> str:
    return "" if count == 1 else "s"


def ref_markers(slugs: list[str]) -> Markup:
    """``<ref:slug>`` markers for citations, numbered per page afterwards
    (``pages.references.References``).

    Slugs are validated ([a-z0-9-]); escaping them anyway keeps a marker from ever carrying
    markup. A filter, not a macro: it runs for every outcome and finding of 10,000 trials.
    """
    return Markup("".join(f"<ref:{escape(slug)}>" for slug in slugs))  # noqa: S704


class SnapshotEnvironment(jinja2.Environment):
    """``{{ trial.name }}`` on a plain dict reads the key ``name`` first.

    Page contexts are plain dicts. Jinja2 would try the attribute first (raising and catching
    AttributeError for every lookup: a third of the rendering time) and would find dict
    methods before keys (``outcome.values`` would be the method).
    """

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)


def _environment() -> jinja2.Environment:
    environment = SnapshotEnvironment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        # Templates are part of the code: a worker restarts to pick up new ones, and the
        # renderer fingerprint (build.fingerprints) makes it re-render old pages.
        auto_reload=False,
        cache_size=-1,
    )
    environment.filters["capfirst"] = capfirst
    environment.filters["plural"] = plural
    environment.filters["ref_markers"] = ref_markers
    return environment


ENVIRONMENT = _environment()


def render_text(template: str, context: dict[str, Any]) -> str:
    return ENVIRONMENT.get_template(template).render(context)


def render(template: str, context: dict[str, Any]) -> bytes:
    return render_text(template, context).encode("utf-8")


def render_pieces(template: str, context: dict[str, Any], size: int = 1 << 16) -> Iterator[bytes]:
    """``render``'s bytes in pieces of about ``size`` characters, made as the template runs:
    a page listing every record (a first snapshot's changes) never exists whole."""
    pending: list[str] = []
    length = 0
    for text in ENVIRONMENT.get_template(template).generate(context):
        pending.append(text)
        length += len(text)
        if length >= size:
            yield "".join(pending).encode("utf-8")
            pending, length = [], 0
    if pending:
        yield "".join(pending).encode("utf-8")


def render_fragment(template: str, context: dict[str, Any]) -> Markup:
    """A fragment to include in other pages as it is: the template escaped its values."""
    return Markup(render_text(template, context))  # noqa: S704 - autoescaped output
