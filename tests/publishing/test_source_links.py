"""A published number imported from ClinicalTrials.gov links to the study's results there
(publishing.formatting.source_url, the ``source_note`` macro of the trial block)."""

import pytest

from publishing import formatting as fmt
from publishing.templating import ENVIRONMENT

RESULTS = "https://clinicaltrials.gov/study/NCT04431453?tab=results"
NOTE = ENVIRONMENT.from_string('{% from "_source.html" import source_note %}{{ source_note(x) }}')


@pytest.mark.parametrize(
    "source, url",
    [
        ({"registry": "NCT", "registry_id": "NCT04431453", "pointer": "/resultsSection"}, RESULTS),
        ({"registry": "EudraCT", "registry_id": "2005-001234-56"}, ""),
        ({"citation": "attal-2012", "page": "1785"}, ""),
        ({"registry": "NCT", "registry_id": 'NCT0443145"><script>'}, ""),
        ({"registry": "NCT", "registry_id": "nct04431453"}, ""),
        ({"registry": "NCT"}, ""),
        (None, ""),
    ],
)
def test_only_a_well_formed_nct_source_has_a_registry_url(source, url):
    assert fmt.source_url(source) == url


def test_the_note_links_an_imported_number_and_escapes_its_text():
    linked = NOTE.render(x={"source": "NCT04431453", "source_url": RESULTS})
    assert linked == f' <span class="small muted">(<a href="{RESULTS}">NCT04431453</a>)</span>'
    plain = NOTE.render(x={"source": 'p. 5 <b>"', "source_url": ""})
    assert plain == ' <span class="small muted">(p. 5 &lt;b&gt;&#34;)</span>'
    # A context without a URL (a page built by other code) stays plain, and no source: nothing.
    assert NOTE.render(x={"source": "p. 5"}) == ' <span class="small muted">(p. 5)</span>'
    assert NOTE.render(x={"source": ""}) == ""
