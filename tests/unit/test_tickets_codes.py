from __future__ import annotations

import random
import re
from collections.abc import Callable

import pytest

from tickets.codes import (
    ALPHABET,
    BODY_LENGTH,
    CodeProblem,
    CodeReading,
    check_symbol,
    format_code,
    is_valid,
    new_code,
    normalize_code,
    read_code,
)

CANONICAL = re.compile(r"^SR-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]$")


def random_codes(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [new_code(randbits=rng.getrandbits) for _ in range(count)]


def symbols_of(code: str) -> str:
    return code.replace("SR-", "").replace("-", "")


def display(symbols: str) -> str:
    return f"SR-{symbols[:4]}-{symbols[4:8]}-{symbols[8:]}"


def test_alphabet_is_crockford_base32() -> None:
    assert len(ALPHABET) == 32 == len(set(ALPHABET))
    assert not set("ILOU") & set(ALPHABET)


def test_new_code_has_canonical_shape_and_validates() -> None:
    for _ in range(200):
        code = new_code()
        assert CANONICAL.match(code), code
        assert normalize_code(code) == code
        assert is_valid(code)


def test_new_code_draws_at_least_40_bits_from_its_source() -> None:
    requested: list[int] = []

    def randbits(k: int) -> int:
        requested.append(k)
        return (1 << k) - 1

    assert new_code(randbits=randbits).startswith("SR-ZZZZ-ZZZZ-")
    assert sum(requested) >= 40
    assert BODY_LENGTH * 5 >= 40


def constant(n: int) -> Callable[[int], int]:
    return lambda _bits: n


def test_new_code_maps_distinct_numbers_to_distinct_codes() -> None:
    codes = {new_code(randbits=constant(n)) for n in range(2000)}
    assert len(codes) == 2000
    assert new_code(randbits=constant(0)) == format_code("00000000")


def test_random_codes_do_not_repeat() -> None:
    codes = [new_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)


@pytest.mark.parametrize(
    "typed",
    [
        "sr-7k3q-9xpa-{c}",
        "SR 7K3Q 9XPA {c}",
        "SR7K3Q9XPA{c}",
        "7K3Q9XPA{c}",
        "7k3q-9xpa-{c}",
        "  SR-7K3Q-9XPA-{c}\n",
        "SR--7K3Q--9XPA--{c}",
        "ＳＲ－７Ｋ３Ｑ－９ＸＰＡ－{c}",  # full-width input from a Chinese keyboard
        "SR–7K3Q–9XPA–{c}",  # en dashes from a word processor
    ],
)
def test_normalize_forgives_case_spacing_dashes_and_prefix(typed: str) -> None:
    canonical = format_code("7K3Q9XPA")
    check = canonical[-1]
    assert normalize_code(typed.format(c=check.lower() if "k" in typed else check)) == canonical


def test_normalize_reads_o_as_zero_and_i_l_as_one() -> None:
    canonical = format_code("10A01B0Z")
    confusable = canonical.replace("0", "O").replace("1", "I", 1).replace("1", "l")
    assert confusable != canonical
    assert normalize_code(confusable) == canonical


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SR",
        "SR-7K3Q-9XPA",
        "SR-7K3Q-9XPA-00",
        "XX-7K3Q-9XPA-0",
        "SR-7K3U-9XPA-0",  # U is never a symbol
        "SR-7K3Q-9XP*-0",
        "SR-7K3Q-9XPA-*",
        "工单SR-7K3Q-9XPA",
    ],
)
def test_normalize_refuses_malformed_text(text: str) -> None:
    assert normalize_code(text) is None
    assert not is_valid(text)


def test_every_single_substitution_is_detected() -> None:
    for code in random_codes(300, seed=1):
        symbols = symbols_of(code)
        for position, original in enumerate(symbols):
            for replacement in ALPHABET:
                if replacement == original:
                    continue
                typo = symbols[:position] + replacement + symbols[position + 1 :]
                assert normalize_code(display(typo)) is None, (code, position, replacement)


def test_every_adjacent_transposition_is_detected() -> None:
    for code in random_codes(2000, seed=2):
        symbols = symbols_of(code)
        for position in range(len(symbols) - 1):
            a, b = symbols[position], symbols[position + 1]
            if a == b:
                continue  # swapping equal symbols is no typo at all
            typo = symbols[:position] + b + a + symbols[position + 2 :]
            assert normalize_code(display(typo)) is None, (code, position)


def test_codes_of_edge_bodies_check_out() -> None:
    for body in ("00000000", "ZZZZZZZZ", "0000000Z", "Z0000000"):
        code = format_code(body)
        assert normalize_code(code) == code
        assert code[-1] == check_symbol(body)


def test_check_symbol_refuses_non_canonical_bodies() -> None:
    for body in ("0000000", "000000000", "0000000O", "0000000u"):
        with pytest.raises(ValueError):
            check_symbol(body)


@pytest.mark.parametrize(
    "typed",
    ["SR-7K3Q-9XPA", "sr 7k3q 9xpa", "SR7K3Q9XPA", "7K3Q9XPA", "7k3q-9xpa", "SR-7K3Q-9XPA-"],
)
def test_a_code_without_its_check_symbol_reads_as_incomplete_with_its_body(typed: str) -> None:
    reading = read_code(typed)
    assert reading.problem is CodeProblem.CHECK_MISSING
    assert reading.code is None
    assert reading.body == "7K3Q9XPA"


def test_an_incomplete_code_with_confusables_keeps_the_canonical_body() -> None:
    assert read_code("sr-7k3q-9xpo").body == "7K3Q9XP0"
    assert read_code("SR-IL00-0000").body == "11000000"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", CodeProblem.EMPTY),
        ("  - ", CodeProblem.EMPTY),
        ("SR-7K3U-9XPA-0", CodeProblem.FOREIGN),  # U is never a symbol
        ("SR-7K3Q-9XP*-0", CodeProblem.FOREIGN),
        ("工单SR-7K3Q-9XPA", CodeProblem.FOREIGN),
        ("hello", CodeProblem.LENGTH),  # reads as HE110: symbols, too few
        ("SR-7K3Q-9XPA-Ü", CodeProblem.FOREIGN),
        ("SR-7K3Q", CodeProblem.LENGTH),
        ("SR-7K3Q-9XPA-00", CodeProblem.LENGTH),
    ],
)
def test_read_code_names_the_problem(text: str, problem: CodeProblem) -> None:
    assert read_code(text) == CodeReading(problem=problem)


def test_a_mistyped_check_symbol_is_a_wrong_check_not_a_missing_one() -> None:
    canonical = format_code("7K3Q9XPA")
    wrong = next(s for s in ALPHABET if s != canonical[-1])
    reading = read_code(canonical[:-1] + wrong)
    assert reading.problem is CodeProblem.CHECK_WRONG and reading.code is None


def test_read_code_of_a_valid_code_gives_the_canonical_code_and_body() -> None:
    for code in random_codes(200, seed=3):
        typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")
        assert read_code(typed) == CodeReading(code=code, body=symbols_of(code)[:BODY_LENGTH])
