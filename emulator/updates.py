"""The queue of updates waiting for one bot, shared by getUpdates and webhook delivery.

Updates get consecutive ids and stay queued until confirmed: by a getUpdates whose `offset` is
above their id, or by the webhook answering 2xx. `allowed_updates` filters at creation time, as
Telegram does, so changing it does not touch updates already queued. A long poll sleeps on the
queue's signal and wakes as soon as an update arrives; a newer poll ends an older one.
"""

from __future__ import annotations

from emulator.signals import Signal

Update = dict[str, object]
# What Telegram delivers when allowed_updates was never given (or given as []).
DEFAULT_TYPES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
    }
)


class UpdateQueue:
    """Pending updates of one bot, in order."""

    def __init__(self, first_update_id: int = 1) -> None:
        self._next_id = first_update_id
        self._pending: list[Update] = []
        self.allowed: frozenset[str] = DEFAULT_TYPES
        self.signal = Signal()
        self.poll_generation = 0
        self.closed = False

    @property
    def next_id(self) -> int:
        return self._next_id

    def __len__(self) -> int:
        return len(self._pending)

    def push(self, kind: str, payload: dict[str, object]) -> Update | None:
        """Queue an update of `kind`, unless the bot does not want that kind."""
        if kind not in self.allowed:
            return None
        update: Update = {"update_id": self._next_id, kind: payload}
        self._next_id += 1
        self._pending.append(update)
        self.signal.fire()
        return update

    def set_allowed(self, kinds: list[str] | None) -> None:
        if kinds is not None:
            self.allowed = frozenset(kinds) if kinds else DEFAULT_TYPES

    def confirm(self, offset: int | None) -> None:
        """Forget updates below `offset`; a negative offset keeps only the last -offset."""
        if offset is None or offset == 0:
            return
        if offset < 0:
            del self._pending[: max(0, len(self._pending) + offset)]
            return
        self._pending = [u for u in self._pending if _update_id(u) >= offset]

    def peek(self, limit: int) -> list[Update]:
        return self._pending[:limit]

    def first(self) -> Update | None:
        return self._pending[0] if self._pending else None

    def drop(self, update_id: int) -> None:
        self._pending = [u for u in self._pending if _update_id(u) != update_id]

    def clear(self) -> None:
        self._pending.clear()

    def begin_poll(self) -> int:
        """Start a getUpdates call; an older one still waiting sees it was superseded."""
        self.poll_generation += 1
        self.signal.fire()
        return self.poll_generation

    def close(self) -> None:
        self.closed = True
        self.signal.fire()


def _update_id(update: Update) -> int:
    update_id = update["update_id"]
    assert isinstance(update_id, int)
    return update_id
