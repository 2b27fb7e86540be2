"""Public tracking codes (举报编号) such as `SR-7K3Q-9XPA-M`: unguessable, easy to read aloud.

A code is the prefix `SR`, eight Crockford base32 symbols drawn from `secrets` (40 random
bits) and one check symbol. The alphabet leaves out I, L, O and U, and reading a code
forgives the usual slips: lowercase, full-width characters, spaces, missing or extra
dashes, a missing prefix, O for 0 and I or L for 1.

The check symbol is not Crockford's mod-37 one, whose extra symbols `*~$=U` cannot travel
in a Telegram deep link and are awkward to read aloud. Instead each symbol is taken as an
element of the field GF(32) and the nine symbols, weighted by the distinct powers
α⁰…α⁸ of a primitive element, must sum to zero. A single wrong symbol changes the sum by
a non-zero weight times a non-zero difference, and swapping two neighbours changes it by
(αᵏ + αᵏ⁺¹)·(a + b), also non-zero: every single-symbol typo and every adjacent
transposition, the check symbol included, is detected.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

PREFIX = "SR"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BODY_LENGTH = 8  # 8 symbols × 5 bits = 40 random bits
GROUP = 4

_VALUE = {symbol: value for value, symbol in enumerate(ALPHABET)}
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = frozenset(" -_.\u2010\u2011\u2012\u2013\u2014\u2015\u2212")


def _powers_of_alpha() -> tuple[int, ...]:
    """α⁰…α³⁰ in GF(32) built on the primitive polynomial x⁵ + x² + 1."""
    powers = []
    value = 1
    for _ in range(31):
        powers.append(value)
        value <<= 1
        if value & 0b100000:
            value ^= 0b100101
    return tuple(powers)


_EXP = _powers_of_alpha()
_LOG = {value: power for power, value in enumerate(_EXP)}


def _times_alpha_power(value: int, power: int) -> int:
    if value == 0:
        return 0
    return _EXP[(_LOG[value] + power) % 31]


def check_symbol(body: str) -> str:
    """Return the check symbol for eight canonical body symbols."""
    if len(body) != BODY_LENGTH or any(symbol not in _VALUE for symbol in body):
        raise ValueError("body must be eight canonical Crockford base32 symbols")
    total = 0
    # The check symbol has weight α⁰; the body symbols α¹…α⁸ counted from the right.
    for power, symbol in enumerate(reversed(body), start=1):
        total ^= _times_alpha_power(_VALUE[symbol], power)
    return ALPHABET[total]


def format_code(body: str) -> str:
    """Return the canonical display form `SR-XXXX-XXXX-C` of an eight-symbol body."""
    return f"{PREFIX}-{body[:GROUP]}-{body[GROUP:]}-{check_symbol(body)}"


def new_code(*, randbits: Callable[[int], int] = secrets.randbits) -> str:
    """Return a fresh random tracking code in canonical form."""
    number = randbits(5 * BODY_LENGTH)
    body = "".join(ALPHABET[(number >> (5 * i)) & 0b11111] for i in reversed(range(BODY_LENGTH)))
    return format_code(body)


class CodeProblem(StrEnum):
    """Why a typed code does not read as a code, each with its own answer to the person."""

    EMPTY = "empty"
    FOREIGN = "foreign"  # a character outside the alphabet: not a code at all
    LENGTH = "length"
    CHECK_MISSING = "check_missing"  # exactly the body: the last character was left off
    CHECK_WRONG = "check_wrong"  # a typo somewhere: the check symbol does not match


@dataclass(frozen=True)
class CodeReading:
    """What a typed code reads as: the canonical `code`, or the `problem` with it.

    `body` is the eight canonical body symbols when they could be read, so a code typed
    without its check symbol can still be matched against the reporter's own tickets.
    """

    code: str | None = None
    problem: CodeProblem | None = None
    body: str | None = None


def _compact(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).upper()
    return "".join(ch for ch in folded if ch not in _SEPARATORS and not ch.isspace())


def read_code(text: str) -> CodeReading:
    """Read a code as people type it: case, spaces, dashes and O/I/L slips forgiven."""
    compact = _compact(text)
    if not compact:
        return CodeReading(problem=CodeProblem.EMPTY)
    if len(compact) in (len(PREFIX) + BODY_LENGTH, len(PREFIX) + BODY_LENGTH + 1):
        compact = compact.removeprefix(PREFIX)
    symbols = compact.translate(_READ_AS)
    if any(symbol not in _VALUE for symbol in symbols):
        return CodeReading(problem=CodeProblem.FOREIGN)
    if len(symbols) == BODY_LENGTH:
        return CodeReading(problem=CodeProblem.CHECK_MISSING, body=symbols)
    if len(symbols) != BODY_LENGTH + 1:
        return CodeReading(problem=CodeProblem.LENGTH)
    body, check = symbols[:BODY_LENGTH], symbols[BODY_LENGTH]
    if check_symbol(body) != check:
        return CodeReading(problem=CodeProblem.CHECK_WRONG, body=body)
    return CodeReading(code=format_code(body), body=body)


def normalize_code(text: str) -> str | None:
    """Return the canonical form of a typed code, or None if it is malformed or mistyped."""
    return read_code(text).code


def is_valid(text: str) -> bool:
    """Tell whether `text` reads as a well-formed code whose check symbol matches."""
    return normalize_code(text) is not None
