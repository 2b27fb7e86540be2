"""Fixtures for the emulator's own tests: a running emulator, aiogram's Bot and raw HTTP."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from PIL import Image

from emulator import EmulatorClient, EmulatorConfig, EmulatorServer


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def jpeg(width: int = 1600, height: int = 1200, *, gps: bool = False) -> bytes:
    """A real JPEG, optionally with EXIF GPS, as a phone would take it."""
    image = Image.new("RGB", (width, height), (200, 40, 40))
    buffer = io.BytesIO()
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    image.save(buffer, format="JPEG", exif=exif.tobytes())
    return buffer.getvalue()


def png(width: int = 64, height: int = 48) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (width, height), (0, 128, 255, 255)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def config() -> EmulatorConfig:
    # Limits get their own tests; elsewhere they would only make tests wait.
    return EmulatorConfig(rate_limits=False, webhook_retry_min=0.05, webhook_retry_max=0.2)


@pytest.fixture
async def emulator(config: EmulatorConfig) -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(config)
    await server.start()
    yield server
    await server.stop()


class LoopbackSession(AiohttpSession):
    """aiogram's own session, minus the 250 ms it waits on close for TLS connections to end:
    there are none on plain-HTTP loopback, and the wait would add up over the suite."""

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()


@pytest.fixture
async def bot(emulator: EmulatorServer) -> AsyncIterator[Bot]:
    session = LoopbackSession(api=TelegramAPIServer.from_base(emulator.url))
    bot = Bot(emulator.token, session=session)
    yield bot
    await bot.session.close()


@pytest.fixture
async def client(emulator: EmulatorServer) -> AsyncIterator[EmulatorClient]:
    async with EmulatorClient(emulator.url) as client:
        yield client


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def api(emulator: EmulatorServer) -> str:
    """The Bot API base of the default bot: api + "/sendMessage"."""
    return f"{emulator.url}/bot{emulator.token}"
