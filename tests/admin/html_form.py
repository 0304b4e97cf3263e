"""What a browser would submit for a page's POST form, read from the page's HTML.

Tests that post this (rather than data built from the form objects) also catch a field the
template forgets to render, which a browser would silently drop.
"""

from __future__ import annotations

from html.parser import HTMLParser

from django.http import QueryDict

SKIPPED_INPUTS = {"submit", "button", "image", "reset", "file"}


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self.in_form = self.done = False
        self.textarea: list[str] | None = None
        self.select: dict | None = None
        self.option: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        is_post = tag == "form" and (a.get("method") or "").lower() == "post"
        # The admin's header has a logout form; the page's own form is the other one.
        if is_post and a.get("id") != "logout-form" and not self.done:
            self.in_form = True
        if not self.in_form:
            return
        name, disabled = a.get("name"), "disabled" in a
        if tag == "input" and name and not disabled:
            kind = (a.get("type") or "text").lower()
            if kind in SKIPPED_INPUTS:
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.pairs.append((name, a.get("value") or "on"))
            else:
                self.pairs.append((name, a.get("value") or ""))
        elif tag == "textarea" and name and not disabled:
            self.textarea = [name, ""]
        elif tag == "select" and name and not disabled:
            self.select = {"name": name, "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self.select is not None:
            self.option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self.select["options"].append(self.option)

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data
        elif self.option is not None:
            self.option["text"] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self.textarea is not None:
            name, text = self.textarea
            # Browsers drop the newline that directly follows <textarea>.
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            self.pairs.append((name, text))
            self.textarea = None
        elif tag == "option":
            self.option = None
        elif tag == "select" and self.select is not None:
            options = self.select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and not self.select["multiple"] and options:
                chosen = options[:1]  # a single select always sends one option
            for option in chosen:
                value = option["value"] if option["value"] is not None else option["text"].strip()
                self.pairs.append((self.select["name"], value))
            self.select = None
        elif tag == "form" and self.in_form:
            self.in_form, self.done = False, True


def submitted_data(html: str | bytes) -> QueryDict:
    """The name/value pairs the page's POST form (not the logout form) sends, in page order."""
    parser = _FormParser()
    parser.feed(html.decode() if isinstance(html, bytes) else html)
    data = QueryDict(mutable=True)
    for name, value in parser.pairs:
        data.appendlist(name, value)
    return data


def as_post(data: QueryDict) -> dict[str, list[str]]:
    """A QueryDict as the test client's post() takes it (every value a list)."""
    return {name: data.getlist(name) for name in data}
