"""Domain errors: exceptions that carry a stable code and the values a message needs.

Handlers catch `DomainError`, look its `code` up in the translated catalog and format the
message with `params`; the code never changes once released, the wording may. Subclasses
give the common families a default code and accept a more specific one
(`NotFound("ticket_not_found", ticket=code)`).
"""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A use case refused: `code` names why, `params` fill in the message."""

    default_code: ClassVar[str] = "domain_error"

    def __init__(self, code: str | None = None, /, **params: object) -> None:
        self.code = code or self.default_code
        self.params: dict[str, object] = params
        super().__init__(self.code)

    def __str__(self) -> str:
        if not self.params:
            return self.code
        details = ", ".join(f"{key}={value!r}" for key, value in sorted(self.params.items()))
        return f"{self.code}({details})"


class IllegalTransition(DomainError):
    """The action is not allowed in the ticket's current state."""

    default_code = "illegal_transition"

    def __init__(self, state: str, action: str, /, **params: object) -> None:
        super().__init__(self.default_code, state=str(state), action=str(action), **params)
        self.state = str(state)
        self.action = str(action)


class NotFound(DomainError):
    default_code = "not_found"


class Forbidden(DomainError):
    default_code = "forbidden"


class RateLimited(DomainError):
    default_code = "rate_limited"


class ValidationError(DomainError):
    default_code = "invalid"


class Conflict(DomainError):
    """The request clashes with what already happened (say, a survey answered twice)."""

    default_code = "conflict"
