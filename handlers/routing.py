"""Handlers declared at import time, registered onto a fresh `Router` for each Dispatcher.

aiogram attaches a Router to one parent for good, and a process may build several
Dispatchers (the tests, the demo's restart). So a handler module declares its handlers on a
module-level `Blueprint` in aiogram's own syntax (`@router.message(...)`,
`router.callback_query.middleware(...)`, `router.message.filter(...)`, `@router.errors(...)`,
`@router.startup()`), and `handlers.get_routers()` calls the module's `create_router()`,
which replays them, in order, onto a new Router. Converting a module:
`router = Blueprint(__name__)` instead of `Router(name=__name__)`, and a `create_router()`
returning `router.build()`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from aiogram import BaseMiddleware, Router

Step = Callable[[Router], object]
F = TypeVar("F", bound=Callable[..., Any])


class ObserverBlueprint:
    """What a Router's event observer offers a module at import time, recorded for later."""

    def __init__(self, steps: list[Step], event: str) -> None:
        self._steps = steps
        self._event = event

    def __call__(
        self, *filters: Callable[..., Any], flags: dict[str, Any] | None = None, **kwargs: Any
    ) -> Callable[[F], F]:
        """Register the decorated handler with these filters and flags (as `@router.message`)."""

        def register(callback: F) -> F:
            self._steps.append(
                lambda router: router.observers[self._event].register(
                    callback, *filters, flags=flags, **kwargs
                )
            )
            return callback

        return register

    def middleware(self, middleware: BaseMiddleware) -> None:
        """An inner middleware on this event of the module's Router."""
        self._steps.append(lambda router: router.observers[self._event].middleware(middleware))

    def filter(self, *filters: Callable[..., Any]) -> None:
        """Filters every handler of this event in the module must pass."""
        self._steps.append(lambda router: router.observers[self._event].filter(*filters))


class LifecycleBlueprint:
    """`@router.startup()` / `@router.shutdown()`, recorded for later."""

    def __init__(self, steps: list[Step], event: str) -> None:
        self._steps = steps
        self._event = event

    def __call__(self) -> Callable[[F], F]:
        def register(callback: F) -> F:
            self._steps.append(lambda router: getattr(router, self._event).register(callback))
            return callback

        return register


class Blueprint:
    """A module's handlers, middlewares and filters, built into a new Router on demand."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: list[Step] = []
        self.message = ObserverBlueprint(self._steps, "message")
        self.callback_query = ObserverBlueprint(self._steps, "callback_query")
        self.errors = ObserverBlueprint(self._steps, "error")
        self.startup = LifecycleBlueprint(self._steps, "startup")
        self.shutdown = LifecycleBlueprint(self._steps, "shutdown")

    def build(self) -> Router:
        """A new Router with everything declared so far, for one Dispatcher."""
        router = Router(name=self.name)
        for step in self._steps:
            step(router)
        return router
