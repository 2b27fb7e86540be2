"""A small data set whose every figure is worked out by hand in the comments below.

The period is the local week Monday 2025-03-03 to Sunday 2025-03-09 (Asia/Shanghai), with
no holiday in or near it; `AS_OF` is after every deadline. Office hours are 09:00–18:00.

ticket dept filed (local)     state      accepted (office h)  resolved (office h)
A1     城管 Mon 03 10:00      closed     Mon 11:00 (1)        Tue 10:00 (9)      满意
A2     城管 Fri 07 17:00      resolved   Mon 10:00 (2)        Tue 11:00 (12)     weekend
A3     城管 Sat 08 10:00      closed     Tue 09:30 (9.5) late Wed 19 10:00 (64) late
                                         基本满意, reopened, yellow + red card events
A4     城管 Mon 03 00:00      rejected   first instant of the period
A5     城管 Tue 04 14:00      new        overdue; card column "yellow"
B1     交通 Wed 05 10:00      closed     Wed 11:00 (1)        Thu 10:00 (9)      默认满意 real-name
B2     交通 Thu 06 15:00      reopened   Thu 16:00 (1)        Fri 15:00 (9)      不满意, reply
B3     交通 Sun 09 20:00      duplicate
X0     交通 Sun 02 23:59:59   closed     before the period (on time, 满意, reopen event)
X1     交通 Mon 10 07:30      new        after the period (still Sunday in UTC)

Findings (查处 X 件、处理 Y 人 and the 查实率 count resolutions standing in the period,
whenever the ticket was received):

ticket finding    actions            people  counted in the week?
A1     查实       批评教育, 责令整改  2       yes
A2     查实       责令整改           5       no: resolved Tue 11, after the week (in the quarter)
A3     —                                     no: resolved before findings were recorded
B1     不属实                                yes (a finding, not substantiated)
B2     查实       通报批评           4       no: reopened, its finding is not standing
X0     部分属实   诫勉谈话           1       yes: received before the week, resolved in it

So the week has X = 2 (A1, X0), Y = 3, and 3 findings (查实率 2/3); the quarter X = 3
(A1, A2, X0), Y = 8 and 4 findings.

市场监管局 received nothing. A4 and B3 are received but not actionable. Anonymous tickets
belong to a reporter who once filed under a real name, so their identity exists in the
database and must still never be exported.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from storage.db import SessionFactory
from storage.models import Reporter, Ticket, TicketEvent
from tests.factories import department_row, ticket_row
from tickets.measures import Period

SHANGHAI = ZoneInfo("Asia/Shanghai")
PERIOD = Period.local_days(date(2025, 3, 3), date(2025, 3, 10), SHANGHAI)
AS_OF = datetime(2025, 3, 25, 12, tzinfo=SHANGHAI)

ANON_NAME, ANON_PHONE, ANON_USER = "张匿名", "13800138000", 777000111
REAL_NAME, REAL_PHONE, REAL_USER = "李实名", "13900139000", 777000222
STAFF_USER = 555000333


def sh(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2025, month, day, hour, minute, second, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Ids:
    city: int
    traffic: int
    market: int


def _ticket(code: str, department_id: int, reporter_id: int, **fields: Any) -> Ticket:
    defaults: dict[str, Any] = {"description": f"描述 {code}", "category": "absent"}
    return ticket_row(code, department_id, reporter_id, **(defaults | fields))


def _tickets(ids: Ids, anon: int, real: int) -> list[Ticket]:
    a, b = ids.city, ids.traffic
    return [
        _ticket("SR-A1", a, anon, category="absent", place_text="东门", state="closed",
                created_at=sh(3, 3, 10), accept_by=sh(3, 4, 18), accepted_at=sh(3, 3, 11),
                resolve_by=sh(3, 10, 18), resolved_at=sh(3, 4, 10), closed_at=sh(3, 5, 10),
                satisfaction="satisfied", public_reply="已处理", finding="substantiated",
                finding_actions=["educate", "rectify"], people_concerned=2),
        _ticket("SR-A2", a, anon, category="rude", place_text="东门", state="resolved",
                created_at=sh(3, 7, 17), accept_by=sh(3, 10, 18), accepted_at=sh(3, 10, 10),
                resolve_by=sh(3, 14, 18), resolved_at=sh(3, 11, 11), public_reply="已整改",
                finding="substantiated", finding_actions=["rectify"], people_concerned=5),
        _ticket("SR-A3", a, anon, category="absent", place_text="南广场", state="closed",
                created_at=sh(3, 8, 10), accept_by=sh(3, 10, 18), accepted_at=sh(3, 11, 9, 30),
                resolve_by=sh(3, 14, 18), resolved_at=sh(3, 19, 10), closed_at=sh(3, 20, 9),
                satisfaction="fair", card="red"),
        _ticket("SR-A4", a, anon, category="other", state="rejected", created_at=sh(3, 3),
                accept_by=sh(3, 4, 18), resolve_by=sh(3, 10, 18), reject_reason="不属实"),
        _ticket("SR-A5", a, anon, category="absent", place_text="", state="new",
                created_at=sh(3, 4, 14), accept_by=sh(3, 5, 18), resolve_by=sh(3, 11, 18),
                card="yellow"),
        _ticket("SR-B1", b, real, category="car", place_text="东门", state="closed",
                anonymous=False, created_at=sh(3, 5, 10), accept_by=sh(3, 6, 18),
                accepted_at=sh(3, 5, 11), resolve_by=sh(3, 12, 18), resolved_at=sh(3, 6, 10),
                closed_at=sh(3, 13, 10), satisfaction="satisfied", satisfaction_default=True,
                finding="unsubstantiated"),
        _ticket("SR-B2", b, anon, category="rude", place_text="南广场", state="reopened",
                created_at=sh(3, 6, 15), accept_by=sh(3, 7, 18), accepted_at=sh(3, 6, 16),
                resolve_by=sh(3, 13, 18), resolved_at=sh(3, 7, 15), satisfaction="unsatisfied",
                public_reply="已回复", finding="substantiated", finding_actions=["censure"],
                people_concerned=4),
        _ticket("SR-B3", b, anon, category="absent", place_text="北站", state="duplicate",
                created_at=sh(3, 9, 20), accept_by=sh(3, 10, 18), resolve_by=sh(3, 14, 18)),
        _ticket("SR-X0", b, anon, category="car", place_text="北站", state="closed",
                created_at=sh(3, 2, 23, 59, 59), accept_by=sh(3, 3, 18),
                accepted_at=sh(3, 3, 10), resolve_by=sh(3, 7, 18), resolved_at=sh(3, 4, 10),
                satisfaction="satisfied", public_reply="旧的", finding="partly",
                finding_actions=["admonish"], people_concerned=1),
        _ticket("SR-X1", b, anon, category="car", state="new", created_at=sh(3, 10, 7, 30),
                accept_by=sh(3, 11, 18), resolve_by=sh(3, 17, 18)),
    ]  # fmt: skip


def _events(by_code: dict[str, int]) -> list[TicketEvent]:
    def event(code: str, at: datetime, kind: str, actor: str = "member", **kw: Any) -> TicketEvent:
        actor_id = {"reporter": ANON_USER, "member": STAFF_USER}.get(actor)
        return TicketEvent(
            ticket_id=by_code[code], at=at, actor_kind=actor, actor_id=actor_id, kind=kind, **kw
        )

    return [
        event("SR-A1", sh(3, 3, 10), "submitted", "reporter", to_state="new"),
        event("SR-A1", sh(3, 3, 11), "accepted", from_state="new", to_state="accepted"),
        event("SR-A3", sh(3, 8, 10), "submitted", "reporter", to_state="new"),
        event("SR-A3", sh(3, 10, 18), "yellow_card", "system"),
        event("SR-A3", sh(3, 12, 18), "red_card", "system"),
        event("SR-A3", sh(3, 13, 9), "reopened", "reporter", from_state="resolved",
              to_state="reopened", text="还是没人"),
        event("SR-B2", sh(3, 10, 9), "reopened", "reporter", from_state="resolved",
              to_state="reopened", text="不满意"),
        event("SR-B1", sh(3, 5, 10), "submitted", "reporter", to_state="new"),
        # Outside the period: must not count.
        event("SR-X0", sh(3, 5, 9), "reopened", "reporter"),
        event("SR-X0", sh(3, 5, 9), "yellow_card", "system"),
    ]  # fmt: skip


async def build_dataset(factory: SessionFactory) -> Ids:
    """Insert the departments, reporters, tickets and events of the table above."""
    async with factory() as session, session.begin():
        departments = [department_row(n) for n in ("城管局", "交通局", "市场监管局")]
        anon = Reporter(channel_user_id=ANON_USER, real_name=ANON_NAME, phone=ANON_PHONE)
        real = Reporter(channel_user_id=REAL_USER, real_name=REAL_NAME, phone=REAL_PHONE)
        session.add_all([*departments, anon, real])
        await session.flush()
        ids = Ids(*(d.id or 0 for d in departments))
        tickets = _tickets(ids, anon.id or 0, real.id or 0)
        session.add_all(tickets)
        await session.flush()
        session.add_all(_events({t.code: t.id or 0 for t in tickets}))
    return ids
