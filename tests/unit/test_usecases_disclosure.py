"""Who may see a real-name reporter's identity (`tickets.disclosure`), on in-memory ports;
the card that never shows it and the alert that does."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import admin, staff, ticket_view
from tests.fakes import Fakes
from tickets.actors import Actor, Membership, Role
from tickets.disclosure import identity_audit, reveal_identity
from tickets.errors import Forbidden, NotFound
from tickets.views import ReporterIdentity, TicketView
from ui.i18n import create_i18n
from ui.render import identity_alert, ticket_card

NAME, PHONE = "Wang Xiuying", "+8613800000001"


def real_name_ticket(fakes: Fakes, **fields: object) -> TicketView:
    """A real-name ticket of department 2 (not the intake)."""
    values: dict[str, object] = {
        "id": 7,
        "code": "SR-REAL-0007-0",
        "department_id": 2,
        "department_name": "Transport Bureau",
        "anonymous": False,
        "real_name": NAME,
        "phone": PHONE,
    }
    return fakes.tickets.seed(ticket_view(**{**values, **fields}))


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.HANDLER])
async def test_a_member_of_the_current_department_sees_it_and_the_look_is_recorded(
    fakes: Fakes, role: Role
) -> None:
    ticket = real_name_ticket(fakes)
    member = staff(2, role, user_id=800_000_002, member_id=21)
    fakes.clock.advance(timedelta(minutes=5))

    identity = await reveal_identity(
        fakes.ws, fakes.identity_views, member, ticket_id=ticket.id, private_chat=True
    )

    assert identity == ReporterIdentity(code=ticket.code, real_name=NAME, phone=PHONE)
    [look] = fakes.identity_views.looks
    assert (look.ticket_id, look.viewer_user_id, look.member_id, look.role, look.at) == (
        ticket.id,
        800_000_002,
        21,
        str(role),
        fakes.clock.now(),
    )


async def test_an_administrator_sees_it_as_administrator(fakes: Fakes) -> None:
    ticket = real_name_ticket(fakes)

    identity = await reveal_identity(
        fakes.ws, fakes.identity_views, admin(), ticket_id=ticket.id, private_chat=True
    )

    assert identity.real_name == NAME
    [look] = fakes.identity_views.looks
    assert (look.member_id, look.role) == (None, "admin")


async def test_an_administrator_who_is_a_member_there_is_recorded_by_membership(
    fakes: Fakes,
) -> None:
    ticket = real_name_ticket(fakes)
    both = Actor(
        user_id=900_000_001, is_admin=True, memberships=(Membership(2, Role.SUPERVISOR, 31),)
    )

    await reveal_identity(
        fakes.ws, fakes.identity_views, both, ticket_id=ticket.id, private_chat=True
    )

    assert [(look.member_id, look.role) for look in fakes.identity_views.looks] == [
        (31, "supervisor")
    ]


@pytest.mark.parametrize(
    ("actor", "private_chat", "code"),
    [
        (staff(2, Role.SUPERVISOR), False, "identity_private_only"),
        (admin(), False, "identity_private_only"),
        (staff(1, Role.SUPERVISOR), True, "not_your_department"),  # another department
        (Actor(user_id=800_000_009), True, "not_your_department"),  # removed, or a stranger
    ],
    ids=["group-member", "group-admin", "other-department", "no-membership"],
)
async def test_refused_without_revealing_or_recording(
    fakes: Fakes, actor: Actor, private_chat: bool, code: str
) -> None:
    ticket = real_name_ticket(fakes)

    with pytest.raises(Forbidden) as refused:
        await reveal_identity(
            fakes.ws, fakes.identity_views, actor, ticket_id=ticket.id, private_chat=private_chat
        )

    assert refused.value.code == code
    assert NAME not in str(refused.value) and PHONE not in str(refused.value)
    assert fakes.identity_views.looks == []


async def test_a_ticket_routed_away_is_refused_to_its_old_department(fakes: Fakes) -> None:
    ticket = real_name_ticket(fakes, department_id=1, department_name="Intake")
    old_department = staff(2, Role.SUPERVISOR)

    with pytest.raises(Forbidden, match="not_your_department"):
        await reveal_identity(
            fakes.ws, fakes.identity_views, old_department, ticket_id=ticket.id, private_chat=True
        )


async def test_an_anonymous_ticket_has_no_identity_to_show(fakes: Fakes) -> None:
    ticket = real_name_ticket(fakes, anonymous=True, real_name=None, phone=None)

    with pytest.raises(Forbidden, match="identity_anonymous"):
        await reveal_identity(
            fakes.ws, fakes.identity_views, admin(), ticket_id=ticket.id, private_chat=True
        )
    assert fakes.identity_views.looks == []


async def test_a_stranger_cannot_tell_an_anonymous_ticket_from_a_real_name_one(
    fakes: Fakes,
) -> None:
    anonymous = real_name_ticket(fakes, anonymous=True, real_name=None, phone=None)
    outsider = staff(1, Role.SUPERVISOR)

    with pytest.raises(Forbidden, match="not_your_department"):
        await reveal_identity(
            fakes.ws, fakes.identity_views, outsider, ticket_id=anonymous.id, private_chat=True
        )


async def test_an_unknown_ticket_is_not_found(fakes: Fakes) -> None:
    with pytest.raises(NotFound):
        await reveal_identity(
            fakes.ws, fakes.identity_views, admin(), ticket_id=404, private_chat=True
        )


async def test_the_audit_lists_the_looks_for_administrators_only(fakes: Fakes) -> None:
    ticket = real_name_ticket(fakes)
    other = real_name_ticket(fakes, id=8, code="SR-REAL-0008-0")
    member = staff(2, Role.SUPERVISOR, member_id=21)
    for looked_at in (ticket, other, ticket):
        await reveal_identity(
            fakes.ws, fakes.identity_views, member, ticket_id=looked_at.id, private_chat=True
        )
        fakes.clock.advance(timedelta(hours=1))

    found, views = await identity_audit(fakes.ws, fakes.identity_views, admin(), code=ticket.code)

    assert found.id == ticket.id
    assert [view.member_id for view in views] == [21, 21]
    assert views[0].at < views[1].at
    with pytest.raises(Forbidden, match="not_admin"):
        await identity_audit(fakes.ws, fakes.identity_views, member, code=ticket.code)
    with pytest.raises(NotFound):
        await identity_audit(fakes.ws, fakes.identity_views, admin(), code="SR-NONE-0000-0")


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_card_says_real_name_and_the_alert_fits_telegrams_limit(locale: str) -> None:
    i18n = create_i18n("zh_CN")
    ticket = ticket_view(anonymous=False, real_name=NAME, phone=PHONE)
    long_name = ReporterIdentity(code=ticket.code, real_name="王" * 128, phone="+" + "8" * 31)
    with i18n.context(), i18n.use_locale(locale):
        card = ticket_card(ticket, ZoneInfo("Asia/Shanghai"))
        alert = identity_alert(long_name)
        short = identity_alert(ReporterIdentity(ticket.code, NAME, PHONE))

    assert NAME not in card and PHONE not in card
    assert ("实名（点击“查看实名信息”查看）" if locale == "zh_CN" else "real name") in card
    assert len(alert) <= 200 and long_name.phone in alert and "王王王" in alert
    assert NAME in short and PHONE in short and ticket.code in short
