"""Why an import is refused. Each is a ``CurationError``, so the API answers it in its error
shape with the status given here and the admin and the command print its message; each names
the file or record and the path inside it, and nothing is written for the record."""

from __future__ import annotations

from ..errors import CurationError, NotFound, ValidationFailed


class NotAStudy(ValidationFailed):
    """Not JSON, or JSON that is not a ClinicalTrials.gov API v2 study document."""

    code = "not_a_study"


class UnmappedGroups(ValidationFailed):
    """Results groups whose title matches no arm (or several): the importer must say which arm
    each one is. ``groups`` lists them for the admin's mapping step: {title, ids, pointer,
    suggestions}; ``arms``: [(key, label)] of the study's arms."""

    code = "unmapped_groups"

    def __init__(self, errors, message, *, groups, arms):
        super().__init__(errors, message)
        self.groups = groups
        self.arms = arms


class SourceTooLarge(CurationError):
    code = "too_large"
    http_status = 413


class FetchFailed(CurationError):
    """The registry could not be reached, timed out or answered with an error."""

    code = "fetch_failed"
    http_status = 502


class StudyNotFound(NotFound):
    """The registry does not know the id."""
