"""Prometheus metrics of one running app, on a registry the app owns.

Not the library's global registry: the tests build several apps in one process, and each
must count its own updates. Per-update numbers (updates, handler latency, outbox outcomes)
are counted as they happen; the ones that need queries (backlogs, tickets per state,
overdue and red-card counts) are read on scrape through a collector whose counts are cached
for `cache_seconds`, so neither an update nor a burst of scrapes costs a query each.

No label carries a user id or anything a user typed: labels are the channel, the update
type, the handler's code name, a ticket state and an outbox outcome, all fixed sets.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from aiogram import BaseMiddleware
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from outbox.dispatcher import OutboxState, Outcome
from storage.ops import OpsCounts
from tickets.states import TicketState

log = structlog.get_logger(__name__)
TELEGRAM = "telegram"
UNHANDLED = "unhandled"
# Handlers answer in milliseconds; a photo download and Pillow take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CountsSource = Callable[[], Awaitable[OpsCounts]]
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


@dataclass
class HandlerTrace:
    """Handed to `feed_update` so the inner middleware can say which handler ran."""

    handler: str = UNHANDLED


def handler_label(handler: HandlerObject) -> str:
    """`reporter.add_photo`: the handler's module (without `handlers.`) and name."""
    callback = handler.callback
    module = str(getattr(callback, "__module__", "")).removeprefix("handlers.")
    name = getattr(callback, "__qualname__", type(callback).__name__)
    return f"{module}.{name}" if module else name


class HandlerTraceMiddleware(BaseMiddleware):
    """Inner middleware: writes the chosen handler's name into the update's trace."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        trace, chosen = data.get("metrics_trace"), data.get("handler")
        if isinstance(trace, HandlerTrace) and isinstance(chosen, HandlerObject):
            trace.handler = handler_label(chosen)
        return await handler(event, data)


class AppMetrics:
    """The metrics of one app; `render()` is what /metrics answers."""

    def __init__(
        self,
        *,
        counts: CountsSource,
        is_leader: Callable[[], bool],
        cache_seconds: float = 10.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.registry = CollectorRegistry()
        labels = ("channel", "type", "handler")
        self.updates = Counter(
            "snapreport_updates",
            "Updates handled, by channel, update type and the handler that took them.",
            labels,
            registry=self.registry,
        )
        self.handler_seconds = Histogram(
            "snapreport_handler_seconds",
            "Time from taking an update off its lane to its unit of work committed.",
            labels,
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.outbox_outcomes = Counter(
            "snapreport_outbox_sends",
            "Outbox send attempts by outcome: sent, retry, rate_limited (429), dead.",
            ("outcome",),
            registry=self.registry,
        )
        for outcome in Outcome:  # every series exists from the start, so rate() works
            self.outbox_outcomes.labels(outcome=outcome.value)
        self.refresh_errors = Counter(
            "snapreport_metrics_refresh_errors",
            "Scrapes whose database counts could not be read (the last ones are shown).",
            registry=self.registry,
        )
        self.cache_seconds = cache_seconds
        self._source = counts
        self._monotonic = monotonic
        self._counts: OpsCounts | None = None
        self._fetched_at: float | None = None
        self._refreshing = asyncio.Lock()
        self.registry.register(_CountsCollector(self, is_leader))

    @property
    def counts(self) -> OpsCounts | None:
        return self._counts

    def observe_update(self, update: Update, trace: HandlerTrace, seconds: float) -> None:
        """Count one handled update and its latency."""
        try:
            kind = update.event_type
        except UpdateTypeLookupError:  # an update type newer than this aiogram knows
            kind = "unknown"
        labels = {"channel": TELEGRAM, "type": kind, "handler": trace.handler}
        self.updates.labels(**labels).inc()
        self.handler_seconds.labels(**labels).observe(seconds)

    def outbox_outcome(self, outcome: Outcome) -> None:
        """The dispatcher's hook: count a send's outcome."""
        self.outbox_outcomes.labels(outcome=outcome.value).inc()

    async def refresh(self) -> None:
        """Re-read the database counts unless the cached ones are fresh enough."""
        async with self._refreshing:  # concurrent scrapes share one query round
            now = self._monotonic()
            if self._fetched_at is not None and now - self._fetched_at < self.cache_seconds:
                return
            try:
                self._counts = await self._source()
            except (SQLAlchemyError, OSError, TimeoutError) as error:
                self.refresh_errors.inc()
                log.warning("metrics_counts_failed", error=type(error).__name__)
            # Also after a failure: a database that is down is not asked at every scrape.
            self._fetched_at = now

    async def render(self) -> bytes:
        """The text exposition of every metric, counts refreshed if stale."""
        await self.refresh()
        return generate_latest(self.registry)


class _CountsCollector(Collector):
    def __init__(self, metrics: AppMetrics, is_leader: Callable[[], bool]) -> None:
        self._metrics = metrics
        self._is_leader = is_leader

    def describe(self) -> list[Metric]:
        return []  # keeps the registry from collecting (and querying) at registration

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "snapreport_scheduler_leader",
            "1 while this replica runs the scheduler and the outbox (holds the runner lock).",
            value=1.0 if self._is_leader() else 0.0,
        )
        counts = self._metrics.counts
        if counts is None:
            return
        yield GaugeMetricFamily(
            "snapreport_inbox_backlog",
            "Updates stored but not yet handled.",
            value=counts.inbox_backlog,
        )
        outbox = GaugeMetricFamily(
            "snapreport_outbox_messages", "Outbox rows by state.", labels=["state"]
        )
        for state in OutboxState:
            outbox.add_metric([state.value], counts.outbox_by_state.get(state.value, 0))
        yield outbox
        yield GaugeMetricFamily(
            "snapreport_outbox_oldest_unsent_seconds",
            "Age of the oldest pending or sending outbox row (0 when none).",
            value=counts.outbox_oldest_unsent_seconds,
        )
        tickets = GaugeMetricFamily("snapreport_tickets", "Tickets by state.", labels=["state"])
        for ticket_state in TicketState:
            value = counts.tickets_by_state.get(ticket_state.value, 0)
            tickets.add_metric([ticket_state.value], value)
        yield tickets
        yield GaugeMetricFamily(
            "snapreport_tickets_overdue",
            "Open tickets past their accept (new) or resolve deadline.",
            value=counts.overdue,
        )
        yield GaugeMetricFamily(
            "snapreport_tickets_red_card",
            "Open tickets holding a red card (escalated).",
            value=counts.red_cards,
        )
