from __future__ import annotations

import pytest

from tickets.errors import (
    Conflict,
    DomainError,
    Forbidden,
    IllegalTransition,
    NotFound,
    RateLimited,
    ValidationError,
)


def test_domain_error_carries_code_and_params() -> None:
    error = DomainError("photo_too_large", limit_mb=20)
    assert error.code == "photo_too_large"
    assert error.params == {"limit_mb": 20}
    assert str(error) == "photo_too_large(limit_mb=20)"


@pytest.mark.parametrize(
    ("cls", "code"),
    [
        (NotFound, "not_found"),
        (Forbidden, "forbidden"),
        (RateLimited, "rate_limited"),
        (ValidationError, "invalid"),
        (Conflict, "conflict"),
    ],
)
def test_families_have_default_codes_and_take_specific_ones(
    cls: type[DomainError], code: str
) -> None:
    assert cls().code == code
    specific = cls("something_specific", n=1)
    assert specific.code == "something_specific"
    assert specific.params == {"n": 1}
    assert isinstance(specific, DomainError)


def test_illegal_transition_names_state_and_action() -> None:
    error = IllegalTransition("closed", "accept")
    assert error.code == "illegal_transition"
    assert (error.state, error.action) == ("closed", "accept")
    assert error.params == {"state": "closed", "action": "accept"}
    with pytest.raises(DomainError):
        raise error


def test_default_codes_are_unique() -> None:
    classes: list[type[DomainError]] = [DomainError, IllegalTransition, NotFound, Forbidden]
    classes += [RateLimited, ValidationError, Conflict]
    codes = [cls.default_code for cls in classes]
    assert len(set(codes)) == len(codes)
