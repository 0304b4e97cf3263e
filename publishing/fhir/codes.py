"""The code systems and codes the FHIR resources use, copied from HL7's R5 examples and code
systems (``../shared/reference/fhir/``; the code systems' sources in HL7/fhir
``source/evidence/``). A controlled value of ours that no HL7 code means exactly gets no
coding, only its words (``text``): a code is never stretched to fit.
"""

from __future__ import annotations

from typing import Any

STATISTIC_TYPE = "http://terminology.hl7.org/CodeSystem/statistic-type"
ATTRIBUTE_ESTIMATE_TYPE = "http://terminology.hl7.org/CodeSystem/attribute-estimate-type"
VARIABLE_ROLE = "http://terminology.hl7.org/CodeSystem/variable-role"
STUDY_PHASE = "http://terminology.hl7.org/CodeSystem/research-study-phase"
OBJECTIVE_TYPE = "http://terminology.hl7.org/CodeSystem/research-study-objective-type"
DATA_OPERATION = "http://terminology.hl7.org/CodeSystem/v3-DataOperation"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
UCUM = "http://unitsofmeasure.org"
# NCI Thesaurus, as HL7's EBM guide codes a medicinal product's name types.
NCI_THESAURUS = "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"
# The EBM guide's comparative-evidence example: the exposure's comparator, and a method
# "defined in text" (FEvIR's code system, as the example writes it).
COMPARATOR_CATEGORY = (
    "http://hl7.org/fhir/uv/ebm/StructureDefinition/variable-definition-comparator-category"
)
DEFINED_IN_TEXT = ("https://fevir.net/resources/CodeSystem/179423", "defined-in-text")
PUBLISHED_IN_TYPE = "http://hl7.org/fhir/published-in-type"
CLASSIFICATION_TYPE = "http://hl7.org/fhir/cited-artifact-classification-type"
ARTIFACT_CLASSIFIER = "http://hl7.org/fhir/citation-artifact-classifier"
JOURNAL_ARTICLE = ("D016428", "Journal Article")

# The EBM guide's profiles (``meta.profile``) and the extension its Evidence profiles slice
# ``variableDefinition`` by (with ``note.text`` naming the same role, as its examples do).
EBM_PROFILE = "http://hl7.org/fhir/uv/ebm/StructureDefinition/"
NON_COMPARATIVE_EVIDENCE = EBM_PROFILE + "non-comparative-evidence"
COMPARATIVE_EVIDENCE = EBM_PROFILE + "comparative-evidence"
JOURNAL_ARTICLE_CITATION = EBM_PROFILE + "journal-article-citation"
VARIABLE_ROLE_CODE = EBM_PROFILE + "variable-definition-variable-role-code"
DOI = "https://doi.org"
PUBMED = "https://pubmed.ncbi.nlm.nih.gov"

# Our measures as HL7's statistic types. Least-squares and geometric means, durations given
# without saying median or mean: no HL7 code says exactly that, so words only.
MEASURE_STATISTIC = {
    "median": ("C28007", "Median"),
    "mean": ("C53319", "Mean"),
    "number": ("C25463", "Count"),
    "count_of_participants": ("C25463", "Count"),
    "event_count": ("C25463", "Count"),
    "proportion": ("C44256", "Proportion"),
    "rate_at_timepoint": ("C44256", "Proportion"),
}
COMPARISON_STATISTIC = {
    "hazard_ratio": ("C93150", "Hazard Ratio"),
    "odds_ratio": ("C16932", "Odds Ratio"),
    "risk_ratio": ("C93152", "Relative Risk"),
    "difference_in_means": ("0000457", "Mean Difference"),
    "difference_in_medians": ("absolute-MedianDiff", "Absolute Median Difference"),
}
# Dispersions as attribute estimates. A standard error is HL7's "standard error of the mean"
# only when the value is a mean (see ``results``).
CONFIDENCE_INTERVAL = ("C53324", "Confidence interval")
P_VALUE = ("C44185", "P-value")
DISPERSION_ESTIMATE = {
    "standard_deviation": ("C53322", "Standard deviation"),
    "standard_error": ("0000037", "Standard error of the mean"),
    "interquartile_range": ("C53245", "Interquartile range"),
    "full_range": ("C38013", "Range"),
    "confidence_interval": CONFIDENCE_INTERVAL,
}
MEAN_MEASURES = ("mean",)

VARIABLE_ROLES = {
    "population": "population",
    "exposure": "exposure",
    "referenceExposure": "reference exposure",
    "measuredVariable": "measured variable",
}

# ResearchStudy.phase holds one code: a trial's phases as HL7's combined codes.
PHASES = {
    ("not_applicable",): ("n-a", "N/A"),
    ("early_1",): ("early-phase-1", "Early Phase 1"),
    ("1",): ("phase-1", "Phase 1"),
    ("1/2",): ("phase-1-phase-2", "Phase 1/Phase 2"),
    ("1", "2"): ("phase-1-phase-2", "Phase 1/Phase 2"),
    ("2",): ("phase-2", "Phase 2"),
    ("2/3",): ("phase-2-phase-3", "Phase 2/Phase 3"),
    ("2", "3"): ("phase-2-phase-3", "Phase 2/Phase 3"),
    ("3",): ("phase-3", "Phase 3"),
    ("4",): ("phase-4", "Phase 4"),
}
OBJECTIVE_TYPES = {"primary": "Primary", "secondary": "Secondary"}

# Units of our outcomes and comparisons in UCUM; "other" is the source's words, uncoded.
UCUM_UNITS = {
    "percent": ("%", "%"),
    "percentage_points": ("percentage points", "%"),
    "count": ("count", "{count}"),
    "days": ("days", "d"),
    "weeks": ("weeks", "wk"),
    "months": ("months", "mo"),
    "years": ("years", "a"),
}
# A qualified number as a Quantity comparator; "about" and "nearly" have none (the words
# go in the description).
QUALIFIER_COMPARATOR = {"more_than": ">", "less_than": "<", "at_least": ">=", "at_most": "<="}

# Where registry ids and condition codes live.
REGISTRY_SYSTEMS = {
    "NCT": "https://clinicaltrials.gov",
    "ISRCTN": "https://www.isrctn.com",
    "EudraCT": "https://www.clinicaltrialsregister.eu",
}
CODING_SYSTEMS = {
    "MeSH": "https://meshb.nlm.nih.gov/",
    "ICD-10": "http://hl7.org/fhir/sid/icd-10",
    "ICD-11": "http://id.who.int/icd/release/11/mms",
    "SNOMED-CT": "http://snomed.info/sct",
    "MedDRA": "https://www.meddra.org",
}


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    found = {"system": system, "code": code}
    if display:
        found["display"] = display
    return found


def concept(system: str, code: str, display: str, text: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text:
        found["text"] = text
    return found


def statistic_type(code: tuple[str, str] | None, words: str) -> dict[str, Any]:
    """A statistic type: HL7's code when one means exactly this, and always our words."""
    if code is None:
        return {"text": words}
    return concept(STATISTIC_TYPE, code[0], code[1], words)


def estimate_type(code: tuple[str, str] | None, words: str) -> dict[str, Any]:
    if code is None:
        return {"text": words}
    return concept(ATTRIBUTE_ESTIMATE_TYPE, code[0], code[1])


def variable_role(role: str) -> dict[str, Any]:
    return concept(VARIABLE_ROLE, role, VARIABLE_ROLES[role])


def ucum_quantity(
    value: Any, unit: str | None, unit_text: str | None = None, comparator: str | None = None
) -> dict[str, Any]:
    """A Quantity of exactly ``value``: with its UCUM unit when the unit is one of ours, with
    the source's words when it is "other", bare when it is a ratio or has none."""
    quantity: dict[str, Any] = {"value": value}
    if comparator:
        quantity["comparator"] = comparator
    if unit in UCUM_UNITS:
        words, code = UCUM_UNITS[unit]
        quantity.update(unit=words, system=UCUM, code=code)
    elif unit == "other" and unit_text:
        quantity["unit"] = unit_text
    return quantity
