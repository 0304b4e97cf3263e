"""Evidence as FHIR R5 resources, after HL7's Evidence-Based Medicine guide (EBM-on-FHIR).

``resources_for(record_type, document, history)`` maps one record version to its resources
(plain JSON dicts); ``validate(resource, path)`` checks one with fhir.resources. The snapshot
build (``publishing.build.fhir_files``) writes them to ``fhir/<ResourceType>/<id>.json`` and
``fhir/bundle.json``.

- ``mapping``: ``resources_for`` and where each resource is published;
- ``study``: a trial as ResearchStudy, its arms as Group, its outcomes as EvidenceVariable;
- ``results``: per-arm values and comparisons as Evidence (statistics, estimates, p-values);
- ``records``: Citation, MedicinalProductDefinition (interventions), Composition (topics);
- ``provenance``: one Provenance per record version, from the event log;
- ``codes``: HL7's code systems and codes, and UCUM units;
- ``terminology``: our own code systems as CodeSystem resources (``code_systems``);
- ``common``: ids, canonical urls, meta, references;
- ``validation``: fhir.resources validation, errors naming the file and element.
"""

from .common import canonical_base
from .mapping import MAIN_RESOURCE, code_systems, resource_path, resources_for
from .validation import InvalidResource, repeated_elements_remembered, validate

__all__ = [
    "MAIN_RESOURCE",
    "canonical_base",
    "code_systems",
    "InvalidResource",
    "repeated_elements_remembered",
    "resource_path",
    "resources_for",
    "validate",
]
