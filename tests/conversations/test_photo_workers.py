"""Photos processed in worker processes (PHOTO_POOL=process).

The other conversation tests use the default thread pool; this one shows that a
photo handled in a child process reaches the draft the same way, that a refusal raised
there still reaches the citizen with its reason, and that stopping the app ends the
worker processes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.app import SnapreportApp
from config.settings import Settings
from emulator.client import ChatUser
from emulator.server import EmulatorServer
from storage.images import normalize_photo
from storage.media import worker_niceness
from tests.conftest import emulated_settings
from tests.conversations.steps import (
    evidence_of,
    file_with_a_phone_file,
    ticket_by_code,
)
from tests.imagefactory import phone_jpeg, truncated_jpeg


@pytest.fixture
def settings(emulator: EmulatorServer, database_url: str, tmp_path: Path) -> Settings:
    return emulated_settings(
        emulator, database_url, tmp_path / "media", photo_pool="process", photo_workers=1
    )


async def test_photos_handled_in_worker_processes_land_and_the_processes_end_with_the_app(
    citizen: ChatUser, app: SnapreportApp
) -> None:
    await citizen.send_document(truncated_jpeg(), "cut.jpg", "image/jpeg")
    await citizen.expect("incomplete")  # refused in the child, answered with its reason
    original = phone_jpeg(seed=6)
    code = await file_with_a_phone_file(citizen, original, "IMG_0002.jpg")
    [evidence] = await evidence_of(app, (await ticket_by_code(app, code)).id)
    expected = normalize_photo(original, keep_metadata=True)
    assert (evidence.sha256, evidence.phash) == (expected.sha256, expected.phash)
    assert app.media_store.get(evidence.sha256) == expected.jpeg
    worker_pid = await app.photo_workers.run(os.getpid)
    assert worker_pid != os.getpid()
    assert await app.photo_workers.run(worker_niceness) > worker_niceness()

    await app.stop()

    with pytest.raises(ProcessLookupError):
        os.kill(worker_pid, 0)  # reaped with the app, not left running or a zombie
