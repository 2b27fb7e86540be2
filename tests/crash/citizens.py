"""Citizens who carry on like people do while the bot keeps crashing under them.

A person does not replay a script: they look at the newest panel and do what it asks. If
nothing happens for a while they try again, and if that does not help either they send
/report, which shows their draft again. That is all the recovery a citizen is expected to
know, so a report that cannot be finished this way is the bot's fault.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from emulator.client import ChatUser, ControlApiError
from emulator.views import ChatMessage
from tests.imagefactory import jpeg_bytes

MARKERS = ("Tracking code", "Please check your report", "Step ")
CATEGORY = "Phone or private business"
DESCRIPTION = "The clerk at window {n} left for an hour during office time"


@dataclass
class CrashCitizen:
    """One simulated reporter; `run` returns the tracking code the bot showed."""

    user: ChatUser
    number: int
    stall_seconds: float = 6.0
    code: str | None = None
    actions: list[str] = field(default_factory=list)

    async def run(self, deadline: float) -> str:
        await self._send_evidence()
        stalls = 0
        while (left := deadline - _now()) > 0:
            if (code := await self._code_shown()) is not None:
                self.code = code
                return code
            panel = await self._panel()
            before = _signature(panel)
            await self._act(panel, stalls)
            if await self._changed(before, min(self.stall_seconds, left)):
                stalls = 0
            else:
                stalls += 1
        raise AssertionError(f"citizen {self.number} never saw a code; did {self.actions}")

    async def _send_evidence(self) -> None:
        """Photos first, three ways: an album, one photo, a photo whose caption says it all."""
        seed = 1000 + self.number * 10
        kind = self.number % 3
        if kind == 0:
            self.actions.append("album")
            await self.user.send_album([jpeg_bytes(seed=seed), jpeg_bytes(seed=seed + 1)])
        elif kind == 1:
            self.actions.append("photo")
            await self.user.send_photo(jpeg_bytes(seed=seed))
        else:
            self.actions.append("captioned photo")
            caption = DESCRIPTION.format(n=self.number)
            await self.user.send_photo(jpeg_bytes(seed=seed), caption=caption)

    async def _act(self, panel: ChatMessage | None, stalls: int) -> None:
        """Do what the newest panel asks; after two fruitless tries, ask for it again."""
        if panel is None or stalls >= 2:
            self.actions.append("/report")
            await self.user.command("report")
            return
        content = panel.content
        if "Please check your report" in content:
            await self._press("Confirm")
        elif "Step 5/5" in content:
            await self._press("Anonymous")
        elif "Which unit is the report about?" in content:
            await self._press("Not sure")
        elif "Step 4/5" in content:
            await self._press("Skip")
        elif "Step 3/5" in content:
            await self._press(CATEGORY)
        elif "Step 2/5" in content:
            self.actions.append("describe")
            await self.user.send(DESCRIPTION.format(n=self.number))
        elif "Received:" in content:
            await self._press("Next")
        else:
            self.actions.append("photo again")
            await self.user.send_photo(jpeg_bytes(seed=1000 + self.number * 10))

    async def _press(self, label: str) -> None:
        self.actions.append(label)
        try:
            # Do not wait for the answer: while the bot is down nobody answers.
            await self.user.press(label, wait=0)
        except ControlApiError as error:
            if error.status != 404:
                raise
            self.actions.append("missed")  # the bot replaced the panel under their thumb
        except AssertionError:
            self.actions.append("missed")  # the button went between looking and pressing

    async def _code_shown(self) -> str | None:
        """The tracking code, once any bot message in the chat shows one: then they stop."""
        for message in await self.user.messages():
            if message.from_bot and (code := _code_in(message.content)) is not None:
                return code
        return None

    async def _panel(self) -> ChatMessage | None:
        for message in reversed(await self.user.messages()):
            if message.from_bot and any(marker in message.content for marker in MARKERS):
                return message
        return None

    async def _changed(self, before: tuple[int, str] | None, within: float) -> bool:
        """Wait (in server-side long polls) until the newest panel is another one."""
        deadline = _now() + within
        seq = (await self.user.client.chat(self.user.chat_id)).last_seq
        while (left := deadline - _now()) > 0:
            actions = await self.user.client.wait_for_bot_message(self.user.chat_id, seq, left)
            if actions:
                seq = actions[-1].seq
                if _signature(await self._panel()) != before:
                    return True
        return False


def _signature(panel: ChatMessage | None) -> tuple[int, str] | None:
    return None if panel is None else (panel.message_id, panel.content)


def _code_in(content: str) -> str | None:
    marker = "Tracking code: "
    return content.split(marker)[1].split()[0] if marker in content else None


def _now() -> float:
    return asyncio.get_running_loop().time()
