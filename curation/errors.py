"""Errors the curation services raise. Callers map them: API status codes, admin messages."""


class CurationError(Exception):
    """Base class. ``code`` is stable and machine-readable; the message is for people."""

    code = "error"
    http_status = 400

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


class PermissionDenied(CurationError):
    code = "permission_denied"
    http_status = 403


class NotFound(CurationError):
    code = "not_found"
    http_status = 404


class InvalidTransition(CurationError):
    """The change request is not in a state that allows the action."""

    code = "invalid_state"
    http_status = 409


class ClaimedByOther(CurationError):
    """Another reviewer has the change request in review: take it over first."""

    code = "claimed"
    http_status = 409


class ValidationFailed(CurationError):
    """Bad input. ``errors`` lists every problem as {path, message}."""

    code = "invalid"
    http_status = 400

    def __init__(self, errors: list[dict[str, str]], message: str = "the proposal is invalid"):
        self.errors = errors
        detail = "; ".join(f"{e['path'] or '(document)'}: {e['message']}" for e in errors[:5])
        super().__init__(f"{message}: {detail}" if detail else message)


class VersionConflict(CurationError):
    """The record changed since the proposal's base version and the changes collide."""

    code = "version_conflict"
    http_status = 409

    def __init__(
        self, message: str, fields: list[str] | None = None, current_version: int | None = None
    ):
        self.fields = fields or []
        self.current_version = current_version
        super().__init__(message)
