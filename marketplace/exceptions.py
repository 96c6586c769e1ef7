"""Domain errors: each has a stable code, a message, optional field messages and an HTTP status."""


class DomainError(Exception):
    code = "invalid"
    status_code = 400
    default_message = "The request could not be carried out."

    def __init__(
        self, message: str | None = None, *, fields: dict | None = None, code: str | None = None
    ):
        self.message = message or self.default_message
        self.fields = fields or {}
        if code:
            self.code = code
        super().__init__(self.message)


class NotFound(DomainError):
    """Also raised for objects that exist but belong to someone else: never reveal them."""

    code = "not_found"
    status_code = 404
    default_message = "Not found."


class PermissionDenied(DomainError):
    code = "permission_denied"
    status_code = 403
    default_message = "You do not have permission to do this."


class EmailNotVerified(PermissionDenied):
    code = "email_not_verified"
    default_message = "Verify your email address before doing this."


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
    default_message = "The request conflicts with the current state."


class InvalidInput(DomainError):
    """Input that breaks a field rule; `fields` says which field and why."""

    code = "invalid"
    status_code = 400
    default_message = "The request has invalid fields."
