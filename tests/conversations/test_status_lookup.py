"""`/status CODE`: the code is the key; whoever holds it sees progress, never identity."""

from __future__ import annotations

from bot.app import SnapreportApp
from emulator.client import ChatUser, EmulatorClient
from tests.conversations.steps import (
    ask_for_real_name,
    begin_with_photo,
    categorize,
    confirm,
    describe,
    file_report,
    skip_place,
)
from tickets.codes import ALPHABET, check_symbol, is_valid


async def file_real_name_report(citizen: ChatUser) -> str:
    await begin_with_photo(citizen)
    await describe(citizen, "The inspector took 500 yuan to skip the check")
    await categorize(citizen, "Asking for favours")
    await skip_place(citizen)
    await ask_for_real_name(citizen)
    await citizen.tap("Share my phone number")
    await citizen.expect("Please check your report")
    return await confirm(citizen)


def mistype(code: str, position: int) -> str:
    """Change one symbol of the code to another symbol of the alphabet."""
    wrong = next(s for s in ALPHABET if s != code[position])
    return code[:position] + wrong + code[position + 1 :]


async def test_status_with_the_right_code_shows_state_department_and_deadlines(
    citizen: ChatUser,
) -> None:
    code = await file_report(citizen)

    await citizen.command("status", code)

    status = await citizen.expect(code)
    for line in ("Status: New", "Department: 受理中心", "Accept by: ", "Resolve by: "):
        assert line in status.content


async def test_status_forgives_lowercase_and_missing_dashes(citizen: ChatUser) -> None:
    code = await file_report(citizen)

    await citizen.command("status", code.replace("-", "").lower())

    await citizen.expect("Status: New")


async def test_a_mistyped_code_is_caught_as_not_valid(citizen: ChatUser) -> None:
    code = await file_report(citizen)

    for position in (3, 8, len(code) - 1):  # first body symbol, second group, check symbol
        typo = mistype(code, position)
        assert not is_valid(typo)
        await citizen.command("status", typo)
        answer = await citizen.expect("not valid")
        assert code not in answer.content


async def test_a_valid_but_unknown_code_finds_nothing(citizen: ChatUser) -> None:
    await citizen.command("status", "SR-7K3Q-9XPA-" + check_symbol("7K3Q9XPA"))

    await citizen.expect("No report with this code")


async def test_status_without_a_code_explains_how(citizen: ChatUser) -> None:
    await citizen.command("status")

    await citizen.expect("followed by your tracking code")


async def test_another_persons_code_shows_status_never_identity_or_evidence(
    citizen: ChatUser, client: EmulatorClient, app: SnapreportApp
) -> None:
    code = await file_real_name_report(citizen)
    stranger = await client.chat_user(first_name="Stranger", language_code="en")

    await stranger.command("status", code)

    status = await stranger.expect("Status: New")
    for secret in ("Wei", "Zhang", citizen.phone_number, "500 yuan", "anonymous"):
        assert secret not in status.content
    await stranger.expect_nothing()
    sent = [m for m in await stranger.messages() if m.from_bot]
    assert len(sent) == 1 and not sent[0].photo and sent[0].document is None
    assert not sent[0].inline_buttons  # nothing to act on: no supplement, no details


async def test_status_works_from_a_group_chat(
    citizen: ChatUser, client: EmulatorClient, app: SnapreportApp
) -> None:
    code = await file_report(citizen)
    group = await client.create_group("Neighbourhood", [citizen.id])
    in_group = await citizen.in_chat(group.id)

    await in_group.command("status", code)

    await in_group.expect("Status: New")


async def test_a_code_without_its_check_character_says_so_and_shows_ones_own_ticket(
    citizen: ChatUser,
) -> None:
    code = await file_report(citizen)
    body_only = code[: -len("-X")].lower().replace("-", " ")

    await citizen.command("status", body_only)

    await citizen.expect("incomplete: one check character is missing at the end")
    status = await citizen.expect("Status: New")
    assert code in status.content


async def test_a_strangers_code_without_its_check_character_shows_nothing(
    citizen: ChatUser, client: EmulatorClient
) -> None:
    code = await file_report(citizen)
    stranger = await client.chat_user(first_name="Stranger", language_code="en")

    await stranger.command("status", code[:-2])

    await stranger.expect("incomplete")
    await stranger.expect_nothing()


async def test_an_incomplete_code_is_named_so_in_chinese(citizen_zh: ChatUser) -> None:
    await citizen_zh.command("status", "SR-6N63-F4NV")

    await citizen_zh.expect("编号不完整：末尾还有一位校验字符")


async def test_a_code_with_foreign_characters_gets_an_example_of_the_right_shape(
    citizen: ChatUser, citizen_zh: ChatUser
) -> None:
    await citizen.command("status", "SR-7K3Q-9XP#-4")
    await citizen.expect("not valid: a tracking code looks like SR-7K3Q-9XPA-X")

    await citizen_zh.command("status", "SR-7K3U-9XPA-4")
    await citizen_zh.expect("编号无效")


async def test_status_reads_confusables_and_spaces(citizen: ChatUser) -> None:
    code = await file_report(citizen)
    typed = code.lower().replace("-", " ").replace("0", "o").replace("1", "l")

    await citizen.command("status", typed)

    await citizen.expect("Status: New")
