"""A stored update names the same lane as the update it was stored from.

Replicas find a user's older unhandled updates by the stored lane's keyed hash (and key
rotation recomputes it from the stored payload), so both readings must agree.
"""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.types import Update

from bot.inbox import lane_key
from storage.models import payload_lane

USER = {"id": 7, "is_bot": False, "first_name": "Wei"}
PRIVATE = {"id": 7, "type": "private"}
GROUP = {"id": -100_200, "type": "supergroup", "title": "Dept"}
MESSAGE = {"message_id": 1, "date": 0, "chat": PRIVATE, "from": USER, "text": "hi"}

UPDATES: list[dict[str, Any]] = [
    {"update_id": 1, "message": MESSAGE},
    {"update_id": 2, "edited_message": {**MESSAGE, "edit_date": 1}},
    {
        "update_id": 3,
        "callback_query": {"id": "q", "from": USER, "chat_instance": "c", "data": "x"},
    },
    {"update_id": 4, "channel_post": {"message_id": 2, "date": 0, "chat": GROUP}},
    {
        "update_id": 5,
        "my_chat_member": {
            "chat": GROUP,
            "from": USER,
            "date": 0,
            "old_chat_member": {"status": "left", "user": USER},
            "new_chat_member": {"status": "member", "user": USER},
        },
    },
    {
        "update_id": 6,
        "poll_answer": {
            "poll_id": "p",
            "user": USER,
            "option_ids": [0],
            "option_persistent_ids": ["a"],
        },
    },
]


@pytest.mark.parametrize("raw", UPDATES, ids=lambda raw: next(k for k in raw if k != "update_id"))
def test_the_stored_payload_names_the_updates_lane(raw: dict[str, Any]) -> None:
    update = Update.model_validate(raw)
    stored = update.model_dump(mode="json", exclude_none=True)

    assert payload_lane(stored) == lane_key(update)
    assert payload_lane(raw) == lane_key(update)  # Telegram's own spelling too
