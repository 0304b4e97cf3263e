"""How published pages (and the FHIR narrative) say what a trial is: its phases, design,
setting, conditions, enrollment and dates, in words. Only what the document says is shown.

The wording of results (values, intervals, p-values) is in ``formatting``.
"""

from __future__ import annotations

from typing import Any

from evidence.documents import vocabulary

from .formatting import MASKED_ROLES, MASKING, QUALIFIERS, SETTINGS


def phases_text(phases: list[str] | None) -> str:
    """'phase 3', 'phase 2 and phase 3'."""
    labels = [vocabulary.TRIAL_PHASE_LABELS[phase] for phase in phases or []]
    if len(labels) > 1:
        return f"{', '.join(labels[:-1])} and {labels[-1]}"
    return labels[0] if labels else ""


def masking_text(design: dict[str, Any]) -> str:
    """'open-label', 'double-blind (participants, investigators)'."""
    masking = design.get("masking")
    roles = ", ".join(MASKED_ROLES[role] for role in design.get("masked_roles") or [])
    if masking is None:
        return f"blinded ({roles})" if roles else ""
    if masking == "none" or not roles:
        return MASKING[masking]
    return f"{MASKING[masking]} ({roles})"


def design_summary(trial: dict[str, Any]) -> str:
    design = trial.get("design") or {}
    words = []
    if trial.get("phases"):
        words.append(phases_text(trial["phases"]))
    if design.get("allocation"):
        words.append(vocabulary.ALLOCATION_LABELS[design["allocation"]])
    if masking_text(design):
        words.append(masking_text(design))
    if design.get("placebo_controlled"):
        words.append("placebo-controlled")
    if design.get("model"):
        words.append(vocabulary.DESIGN_MODEL_LABELS[design["model"]])
    if design.get("multicentre"):
        words.append("multicentre")
    if design.get("international"):
        words.append("international")
    if not words:
        return "Design not stated in the source"
    return vocabulary.capitalised(", ".join(words))


def setting_text(trial: dict[str, Any]) -> str:
    """The setting: its controlled name, or the words of the source when there is no
    controlled value (or only ``other``)."""
    setting = trial.get("setting")
    if setting and setting != "other":
        return SETTINGS[setting]
    return trial.get("setting_text") or (SETTINGS[setting] if setting else "")


def setting_detail(trial: dict[str, Any]) -> str:
    """The setting's words, when ``setting_text`` did not already stand for the setting."""
    shown = setting_text(trial)
    detail = trial.get("setting_text") or ""
    return detail if detail != shown else ""


def condition_text(condition: dict[str, Any]) -> str:
    """'Multiple myeloma (ICD-10 C90.0)'."""
    code = condition.get("code")
    if not code:
        return condition["text"]
    system = condition.get("system")
    system = vocabulary.CODING_SYSTEM_LABELS[system] if system and system != "other" else ""
    return f"{condition['text']} ({f'{system} {code}' if system else code})"


def enrollment(trial: dict[str, Any]) -> str:
    if trial.get("enrollment") is None:
        return ""
    text = f"{trial['enrollment']} patients"
    if trial.get("enrollment_qualifier"):
        text = f"{QUALIFIERS[trial['enrollment_qualifier']]} {text}"
    if trial.get("enrollment_type") == "anticipated":
        text = f"{text} (anticipated)"
    return text


MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def partial_date(date: dict[str, Any] | None) -> str:
    """'2005', 'June 2005', '1 June 2005', as precise as the source; '(anticipated)' after a
    date that has not happened yet."""
    if not date:
        return ""
    parts = date["date"].split("-")
    if len(parts) > 1 and not 1 <= int(parts[1]) <= 12:
        text = date["date"]  # not a date validation would accept: shown as written
    else:
        text = parts[0]
        if len(parts) >= 2:
            text = f"{MONTHS[int(parts[1]) - 1]} {text}"
        if len(parts) == 3:
            text = f"{int(parts[2])} {text}"
    return f"{text} (anticipated)" if date.get("type") == "anticipated" else text


def dates_text(trial: dict[str, Any]) -> str:
    """'started June 2005; primary completion 2009; completed 2012'."""
    dates = trial.get("dates") or {}
    parts = [
        f"{words} {partial_date(dates.get(field))}"
        for field, words in (
            ("start", "started"),
            ("primary_completion", "primary completion"),
            ("completion", "completed"),
        )
        if dates.get(field)
    ]
    return vocabulary.capitalised("; ".join(parts))
