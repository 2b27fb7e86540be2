"""The leak scan: after a whole cycle with an anonymous and a real-name reporter, nothing
anyone else received or can read names the anonymous reporter, and no log line holds the
token.

Searched: every message, caption and button the supervisor, the administrator, the
department's group and the public channel received; the XLSX and CSV exports (with and
without `identity`); every log line of the run (JSON); the Prometheus metrics. Searched for:
the anonymous reporter's id, username, first and last name and phone (the real-name
reporter's name and phone are theirs to give, and only to the handling department).
"""

from __future__ import annotations

import aiohttp
import pytest

from bot.app import SnapreportApp
from config.logs import configure_logging
from config.settings import Settings
from emulator.client import ChatUser, EmulatorClient
from emulator.views import ChatMessage
from tests.conversations.staff import (
    bound_intake_group,
    deliver,
    identity_of,
    prefer_language,
    press_data,
    staff_action,
)
from tests.conversations.steps import file_report, ticket_by_code
from tests.conversations.test_identity_at_rest import (
    anonymous_reporter,
    question_answered,
    real_name_report,
)
from tests.conversations.test_stats_export import exported, workbook_text
from tests.s3server import free_port
from ui.keyboards import SurveyAnswer

CHANNEL = "@snap_leakscan"
REPLY = "The clerk was warned and the window now opens on time."


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"public_channel_id": CHANNEL, "metrics_port": free_port()})


def message_texts(messages: list[ChatMessage]) -> list[str]:
    """What a person sees of each message: text or caption, buttons, file names."""
    texts: list[str] = []
    for message in messages:
        texts.append(message.content)
        texts += [button.text for button in message.inline_buttons]
        if message.document and message.document.file_name:
            texts.append(message.document.file_name)
    return texts


async def test_nothing_anyone_else_receives_names_the_anonymous_reporter(
    app: SnapreportApp,
    admin: ChatUser,
    supervisor: ChatUser,
    client: EmulatorClient,
    capsys: pytest.CaptureFixture[str],
    restore_logging: None,
) -> None:
    configure_logging("DEBUG", json=True)  # every line, as production writes them
    hidden = await anonymous_reporter(client)
    named = await client.chat_user(
        first_name="Xiuying", last_name="Wangmeihua", username="wxy_1975", language_code="en"
    )
    channel = (await client.create_channel("Snap transparency", username=CHANNEL[1:])).id
    await prefer_language(app, hidden, named, supervisor, admin)
    group, _ = await bound_intake_group(app, client, admin, supervisor)

    # The anonymous reporter files, is asked a question, answers; the report is resolved,
    # rated and published. The real-name reporter files beside them.
    hidden_code = await file_report(hidden)
    await question_answered(app, supervisor, hidden, hidden_code)
    # Another photo: the same one would be offered to join the first report ('me too').
    named_code = await real_name_report(named, seed=2)
    ticket = await ticket_by_code(app, hidden_code)
    await staff_action(app, ticket.id or 0, action="accept")
    await staff_action(app, ticket.id or 0, action="resolve", text=REPLY)
    await deliver(app)
    await press_data(hidden, SurveyAnswer(ticket_id=ticket.id or 0, rating="satisfied"))
    await hidden.expect("Your answer on")
    await admin.command("publish", hidden_code)
    await admin.expect(f"Preview of {hidden_code}")
    await admin.press("report's photos")
    await admin.expect("is published on the transparency channel")
    await admin.command("stats")
    await admin.expect("Statistics · all departments", timeout=10)
    plain = await exported(admin)
    with_identity = await exported(admin, "identity")
    await deliver(app)

    received: list[str] = []
    for chat in (supervisor.chat_id, admin.chat_id, group.id, channel):
        received += message_texts(await client.transcript(chat))
    assert any(hidden_code in text for text in received)  # the scan reads real traffic
    assert any(named_code in text for text in received)
    exports: list[str] = []
    for xlsx, csv_file in (plain, with_identity):
        exports.append(workbook_text(await admin.download(xlsx))[1])
        exports.append((await admin.download(csv_file)).decode("utf-8-sig"))
    assert any(hidden_code in text for text in exports)
    metrics_url = f"http://127.0.0.1:{app.settings.metrics_port}/metrics"
    async with aiohttp.ClientSession() as http, http.get(metrics_url) as response:
        metrics = await response.text()
    assert "snapreport_updates_total" in metrics

    secrets = identity_of(hidden)
    assert {s for s in secrets for text in received if s in text} == set()
    assert {s for s in secrets for text in exports if s in text} == set()
    assert {s for s in secrets if s in metrics} == set()
    # The real-name reporter's phone never reaches the group (it is the department's
    # to see, on request, in a private chat).
    group_texts = message_texts(await client.transcript(group.id))
    assert all(named.phone_number not in text for text in group_texts)

    logs = capsys.readouterr().err.splitlines()
    assert len(logs) > 20, "the run wrote its log lines"
    log_text = "\n".join(logs)
    assert {s for s in secrets if s in log_text} == set()
    assert app.settings.bot_token is not None
    assert app.settings.bot_token.get_secret_value() not in log_text
