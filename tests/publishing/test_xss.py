"""Every editor-supplied string is escaped on every published HTML page.

Each free-text field of every document type is filled with hostile markup (the test finds
those fields itself: a string leaf that still validates with the payload in it), then every
HTML page of the snapshot is parsed and must contain no script element, no event-handler
attribute and no javascript: link, and the payload must appear as text.
"""

import copy
from html.parser import HTMLParser

import pytest
from markupsafe import escape  # the escaping the page templates use (Jinja2)

from evidence.documents import validate_document
from publishing import services
from tests import documents, factories
from tests.publishing.published import published_bytes, published_paths

pytestmark = pytest.mark.django_db

PAYLOADS = [
    "<script>alert(1)</script>",
    '" onmouseover="alert(2)" x="',
    "javascript:alert(3)",
    "</p></table><img src=x onerror=alert(4)><p>",
    "<svg onload=alert(5)>",
]


def hostile(record_type, document, payload):
    """``document`` with the payload in every string field that accepts free text."""
    document = validate_document(record_type, copy.deepcopy(document))

    def leaves(node, path=()):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from leaves(value, (*path, key))
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from leaves(value, (*path, i))
        elif isinstance(node, str):
            yield path

    def set_at(doc, path, value):
        for part in path[:-1]:
            doc = doc[part]
        doc[path[-1]] = value

    filled = 0
    for path in list(leaves(document)):
        trial = copy.deepcopy(document)
        set_at(trial, path, payload)
        try:
            validate_document(record_type, trial)
        except Exception:  # noqa: BLE001, S112 - a pattern or enum field: not free text
            continue
        document = trial
        filled += 1
    return document, filled


class Inspector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.problems.append("script element")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in ("href", "src", "xlink:href") and value and "javascript:" in value.lower():
                self.problems.append(f"javascript: URL in {name}")
        if tag in ("img", "iframe", "object", "embed", "link", "base", "form"):
            self.problems.append(f"unexpected <{tag}>")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_text_is_escaped_on_every_page(editor, reviewer, snapshot_root, payload):
    benign = {
        "citation": documents.drugex_citation(**_optional_citation()),
        "intervention": _full_intervention(),
        "trial": documents.drugex_trial(),
        "topic": documents.drugex_topic(),
    }
    for record_type, document in benign.items():
        factories.create_approved(
            editor, reviewer, record_type, document, why=f"rationale {payload}"
        )
    first = services.publish_latest()
    changes = published_bytes(first.seq, "changes.html").decode("utf-8")
    inspector = Inspector()
    inspector.feed(changes)
    assert inspector.problems == []
    assert changes.count(escape(f"rationale {payload}")) == 4  # each new record's rationale
    # Revise every record so that each free-text field holds the payload: the pages show it,
    # and the changelog shows it as the new value of every field.
    for record_type, document in benign.items():
        document, filled = hostile(record_type, document, payload)
        assert filled >= 5, f"{record_type}: only {filled} text fields took the payload"
        factories.revise_approved(
            editor, reviewer, record_type, document["slug"], lambda d, new=document: d.update(new)
        )

    snapshot = services.publish_latest()
    pages = sorted(published_paths(snapshot.seq, ".html"))
    assert [p.rsplit("/", 1)[-1] for p in pages] == [
        "changes.html",
        "index.html",
        "maintenance.html",
        "trial-one.html",
    ]
    for page in pages:
        html = published_bytes(snapshot.seq, page).decode("utf-8")
        inspector = Inspector()
        inspector.feed(html)
        assert inspector.problems == [], f"{page}: {inspector.problems}"
        assert escape(payload) in html, f"{page} does not show the text, escaped"


def _optional_citation():
    return {
        "issue": "3",
        "published_on": "2020-01",
        "note": "note",
        "pmid": "123",
        "url": "https://example.org/paper",
    }


def _full_intervention():
    return documents.drugex_intervention(
        drug_class="class", route="oral", description="desc", note="note"
    )


def test_a_citation_url_cannot_break_out_of_its_link(editor, reviewer, snapshot_root):
    url = 'https://example.org/"><script>alert(6)</script>'
    factories.create_approved(editor, reviewer, "citation", documents.drugex_citation(url=url))
    factories.create_approved(editor, reviewer, "intervention", documents.drugex_intervention())
    factories.create_approved(editor, reviewer, "trial", documents.drugex_trial())
    snapshot = services.publish_latest()
    html = published_bytes(snapshot.seq, "trials/trial-one.html").decode("utf-8")
    inspector = Inspector()
    inspector.feed(html)
    assert inspector.problems == []
    assert f'href="{escape(url)}"' in html


def test_only_http_links_are_ever_written():
    from publishing.formatting import safe_href

    assert safe_href("javascript:alert(1)") is None
    assert safe_href("JaVaScRiPt:alert(1)") is None
    assert safe_href("data:text/html,x") is None
    assert safe_href("https://example.org") == "https://example.org"
