"""Plain Django forms for proposing a record in the admin, built from and back into documents.

Editors never type JSON. A record document is split into forms the admin renders:

- ``record``: the record's own fields (``design.masking`` becomes ``design__masking``;
  registry ids and conditions are typed one per line, phases and masked roles are check
  boxes, each date is its text and whether it is actual or anticipated);
- for trials: ``arms`` (each with a small ``regimen`` formset of its regimen parts) and
  ``outcomes`` formsets, a results grid of one small form per (outcome row, arm row) cell
  (every field of that arm's value: the number and the text the source printed, or why it
  is missing; spread or interval; participants; note; source), comparison forms beside each
  outcome row, ``conduct_notes`` and ``findings`` formsets. A nested document object is
  edited as ``group__field`` form fields (``timepoint__unit``, ``dispersion__kind``,
  ``source__citation``: ``sources``); all of them blank is null in the document;
- for topics: ``sections`` (heading, body paragraphs, setting, interventions and the trials
  the section lists, in order) and ``findings`` formsets;
- ``proposal``: rationale, supporting citations and the hidden base version.

Items with a ``key`` (arms, outcomes, comparisons, findings, conduct notes, sections) are
found in the base document by their original key, so a saved form starts from the base item
and changes only what the form edits; diffs and merges stay per item. Lists whose order
matters to readers (findings, conduct notes, sections, regimen parts) have a "Position"
column; the trials of a section are numbered drop-downs, first box first.

Where to look, in the order a request meets them:

- ``limits``: how many rows a list may have, refused before any form is built;
- ``proposal``: ``ProposalForms``, every form of one proposal; ``add_row_to=...`` re-renders
  submitted data with one more blank row in one list (the "Add ..." buttons);
- ``initial``: ``document_to_initial``, a document -> initial form data;
- ``specs`` (the record's own fields), ``items`` (list items and their formsets), ``grid``
  (results cells and comparisons), ``rationale`` (the "why", and ``RationaleForms`` for a
  retraction), built from ``fields`` and ``widgets``;
- ``assembly``: ``ProposalForms.to_document``, submitted forms -> a document. Loading a
  record's forms and saving them unchanged gives back the same document;
- ``placement``: ``ProposalForms.add_errors`` puts the document validator's errors (paths
  such as ``document.outcomes[2].values[0].ci_low``) on the field that holds that value; an
  error no field holds is shown above the form, naming its path.
"""

from __future__ import annotations

from evidence.documents import literal_values

from .fields import NumberField, vocabulary_choices
from .initial import document_to_initial
from .items import paragraphs
from .proposal import ProposalForms
from .rationale import RationaleForms

__all__ = [
    "NumberField",
    "ProposalForms",
    "RationaleForms",
    "document_to_initial",
    "literal_values",
    "paragraphs",
    "vocabulary_choices",
]
