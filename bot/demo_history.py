"""A believable quarter of history for the demo, so its `/stats` shows what an office sees.

One live ticket makes a chart of one giant bar. The demo first files a few hundred
generated tickets over several departments, with the mix a real quarter has: late
acceptances and resolutions with yellow and red cards, reopened and unsatisfied cases,
rejections and duplicates, and the findings of what was resolved. Deadlines come from
the domain's working-day calendar and codes from its generator; rows go in through the
storage models in one transaction, as the use cases would leave them. A fixed seed makes
every demo run draw the same charts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from storage.db import SessionFactory
from storage.models import Department, Reporter, Ticket, TicketEvent
from tickets.codes import new_code
from tickets.deadlines import DeadlinePolicy, compute_deadlines
from tickets.findings import Finding, Sanction, is_substantiated

DEPARTMENTS: Final = (
    ("城市管理局", 5),
    ("市场监督管理局", 4),
    ("交通运输局", 3),
    ("住房和城乡建设局", 2),
    ("市政务服务中心", 2),
)
CATEGORY_WEIGHTS: Final = {
    "absent": 8,
    "idle": 6,
    "rude": 7,
    "buck": 6,
    "extortion": 2,
    "car": 2,
    "banquet": 1,
    "gifts": 1,
    "other": 2,
}
PLACES: Final = ("政务大厅3号窗口", "东门停车场", "南湖街道办事处", "北站广场", "不动产登记中心")
REPORTERS: Final = 60
POLICY: Final = DeadlinePolicy()
TZ: Final = "Asia/Shanghai"
ACTORS: Final = {
    "submitted": "reporter",
    "reopened": "reporter",
    "closed": "reporter",
    "yellow_card": "system",
    "red_card": "system",
}


@dataclass
class Story:
    """One generated ticket and the events that tell how it went."""

    ticket: Ticket
    events: list[tuple[datetime, str, str | None, str | None]]

    def happen(self, at: datetime, kind: str, before: str | None, after: str | None) -> None:
        self.events.append((at, kind, before, after))


def _filed_at(rng: random.Random, now: datetime, days: int) -> datetime:
    # More reports lately (word spreads), and mostly in the day.
    back = days * (1 - rng.random() ** 0.8)
    day = now - timedelta(days=back)
    return day.replace(hour=rng.randint(0, 13), minute=rng.randint(0, 59), second=0)


def _accept(rng: random.Random, story: Story, now: datetime) -> datetime | None:
    ticket = story.ticket
    assert ticket.accept_by is not None
    late = rng.random() < 0.14
    at = (
        ticket.accept_by + timedelta(hours=rng.uniform(2, 70))
        if late
        else (ticket.created_at + (ticket.accept_by - ticket.created_at) * rng.uniform(0.05, 0.9))
    )
    if late:
        story.happen(ticket.accept_by, "yellow_card", None, None)
        ticket.card = "yellow"
    if at > now:
        return None
    story.happen(at, "accepted", "new", "accepted")
    ticket.state, ticket.accepted_at = "accepted", at
    return at


def _resolve(rng: random.Random, story: Story, accepted: datetime, now: datetime) -> bool:
    ticket = story.ticket
    assert ticket.resolve_by is not None
    late = rng.random() < 0.18
    span = ticket.resolve_by - accepted
    at = (
        ticket.resolve_by + timedelta(days=rng.uniform(0.2, 6))
        if late
        else (accepted + span * rng.uniform(0.1, 0.95))
    )
    if late:
        story.happen(ticket.resolve_by, "yellow_card", None, None)
        ticket.card = "red" if rng.random() < 0.4 else "yellow"
        if ticket.card == "red":
            story.happen(ticket.resolve_by + timedelta(days=2), "red_card", None, None)
    if at > now:
        ticket.state = "in_progress"
        return False
    story.happen(at, "resolved", "in_progress", "resolved")
    ticket.state, ticket.resolved_at = "resolved", at
    ticket.public_reply = "已核实并整改，相关人员已批评教育。"
    return True


def _survey(rng: random.Random, story: Story, now: datetime) -> None:
    ticket = story.ticket
    assert ticket.resolved_at is not None
    at = ticket.resolved_at + timedelta(hours=rng.uniform(2, 60))
    if at > now:
        return
    answer = rng.choices(["satisfied", "fair", "unsatisfied", "default"], [58, 20, 12, 10])[0]
    if answer == "unsatisfied":
        story.happen(at, "reopened", "resolved", "reopened")
        ticket.state, ticket.satisfaction = "reopened", "unsatisfied"
        return
    ticket.satisfaction = "satisfied" if answer == "default" else answer
    ticket.satisfaction_default = answer == "default"
    story.happen(at, "closed", "resolved", "closed")
    ticket.state, ticket.closed_at = "closed", at


FINDING_WEIGHTS: Final = {
    Finding.SUBSTANTIATED: 45,
    Finding.PARTLY: 20,
    Finding.UNSUBSTANTIATED: 25,
    Finding.UNVERIFIABLE: 10,
}
# The milder sanctions are what a conduct complaint usually ends in.
USUAL_SANCTIONS: Final = (
    Sanction.EDUCATION,
    Sanction.RECTIFY,
    Sanction.CENSURE,
    Sanction.ADMONISH,
)


def _find(rng: random.Random, ticket: Ticket) -> None:
    """The finding of a resolved ticket: what was found, done, and to how many people."""
    finding = rng.choices(list(FINDING_WEIGHTS), list(FINDING_WEIGHTS.values()))[0]
    ticket.finding = finding
    if is_substantiated(finding):
        chosen = set(rng.sample(USUAL_SANCTIONS, k=rng.randint(1, 2)))
        ticket.finding_actions = [s for s in Sanction if s in chosen]
        ticket.people_concerned = rng.choices([1, 2, 3], [70, 22, 8])[0]


def _story(rng: random.Random, now: datetime, **fields: Any) -> Story:
    created: datetime = fields.pop("created_at")
    deadlines = compute_deadlines(POLICY, created, TZ)
    ticket = Ticket(
        code=new_code(randbits=rng.getrandbits),
        submit_key=f"demo-{rng.getrandbits(64):016x}",
        state="new",
        created_at=created,
        updated_at=created,
        accept_by=deadlines.accept_by,
        resolve_by=deadlines.resolve_by,
        **fields,
    )
    story = Story(ticket, [])
    story.happen(created, "submitted", None, "new")
    ending = rng.random()
    if ending < 0.05:
        ticket.state, ticket.reject_reason = "rejected", "经核查，反映情况不属实。"
        story.happen(created + timedelta(hours=3), "rejected", "new", "rejected")
        return story
    if ending < 0.08:
        ticket.state = "duplicate"
        story.happen(created + timedelta(hours=2), "duplicate", "new", "duplicate")
        return story
    accepted = _accept(rng, story, now)
    if accepted is not None and _resolve(rng, story, accepted, now):
        _survey(rng, story, now)
    return story


async def seed_history(
    sessions: SessionFactory, *, now: datetime, tickets: int = 360, days: int = 91, seed: int = 7
) -> int:
    """File `tickets` generated tickets received over the `days` before `now`."""
    rng = random.Random(seed)
    async with sessions() as session, session.begin():
        departments = [Department(name=name) for name, _ in DEPARTMENTS]
        reporters = [Reporter(channel_user_id=900_000 + n) for n in range(REPORTERS)]
        session.add_all([*departments, *reporters])
        await session.flush()
        weights = [weight for _, weight in DEPARTMENTS]
        stories = [
            _story(
                rng,
                now,
                created_at=_filed_at(rng, now, days),
                department_id=rng.choices(departments, weights)[0].id,
                reporter_id=rng.choice(reporters).id,
                category=rng.choices(list(CATEGORY_WEIGHTS), list(CATEGORY_WEIGHTS.values()))[0],
                description="工作人员在岗期间存在作风问题，请核查。",
                place_text=rng.choice(PLACES),
            )
            for _ in range(tickets)
        ]
        # Findings draw from a generator of their own, so the rest of history stays as it was.
        findings = random.Random(seed + 1)
        for story in stories:
            if story.ticket.resolved_at is not None:
                _find(findings, story.ticket)
        session.add_all([story.ticket for story in stories])
        await session.flush()
        session.add_all(
            TicketEvent(ticket_id=story.ticket.id or 0, at=at, kind=kind, from_state=before,
                        to_state=after, actor_kind=ACTORS.get(kind, "member"))
            for story in stories for at, kind, before, after in story.events
        )  # fmt: skip
    return tickets
