"""The membership lifecycle from a payment history (``backoffice.rules.lifecycle``).

Each test quotes the rule of ``/work/shared/domain.md`` ("Informal workers: BPU") it guards;
the property tests check that the nightly task, step by step, reaches the status recomputed
from the payment history alone.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from backoffice.rules import lifecycle
from backoffice.rules.lifecycle import Paid, Rules, Standing, daily_step, replay, standing_on
from backoffice.rules.months import add_months, month_start
from models import MemberStatus as S

RULES = Rules(max_arrears=3, window_months=3, due_day=15)


def on_time(*months: date) -> list[Paid]:
    """Each month paid on its 10th."""
    return [Paid(m, m.replace(day=10)) for m in months]


def year(y: int, skip: tuple[int, ...] = ()) -> list[date]:
    return [date(y, m, 1) for m in range(1, 13) if m not in skip]


def test_a_registered_member_who_never_paid_is_not_protected() -> None:
    """ "Protection starts with the first contribution paid (a registered member who never paid
    is not protected)"."""
    standing = standing_on([], date(2026, 6, 1), RULES)
    assert standing == Standing(S.REGISTERED)
    assert not standing.covered and standing.lapses_on is None and standing.ends_on is None


def test_protection_starts_on_the_day_of_the_first_payment() -> None:
    standing, changes = replay(on_time(date(2026, 1, 1)), date(2026, 1, 20), RULES)
    assert standing.status is S.ACTIVE and standing.since == date(2026, 1, 10)
    assert changes == [
        lifecycle.Change(date(2026, 1, 10), S.REGISTERED, S.ACTIVE, lifecycle.FIRST_PAYMENT)
    ]
    # Months before protection started are not arrears: a member who registered in January
    # and first paid on 20 June (for July) is protected from that day on.
    late = standing_on([Paid(date(2026, 7, 1), date(2026, 6, 20))], date(2026, 7, 1), RULES)
    assert late.status is S.ACTIVE and late.protection_ends == date(2026, 11, 15)


def test_scattered_missed_months_do_not_end_protection() -> None:
    """ "more than 3 consecutive unpaid months ends the protection (lapsed); scattered missed
    months do not"."""
    paid = on_time(*year(2026, skip=(2, 5, 8, 11)))  # four months missed, never two in a row
    standing = standing_on(paid, date(2027, 1, 1), RULES)
    assert standing.status is S.ACTIVE and standing.since == date(2026, 1, 10)


def test_more_than_three_consecutive_unpaid_months_lapse_on_the_fourth_due_date() -> None:
    """ "more than 3 consecutive unpaid months ends the protection (lapsed)": with January to
    April paid, May to August unpaid, protection ends on 15 August (August's due date)."""
    paid = on_time(*[date(2026, m, 1) for m in range(1, 5)])
    on_due_date = standing_on(paid, date(2026, 8, 15), RULES)
    assert on_due_date.status is S.ACTIVE and on_due_date.protection_ends == date(2026, 8, 15)
    assert on_due_date.lapses_on == date(2026, 8, 16)
    standing, changes = replay(paid, date(2026, 8, 16), RULES)
    assert standing.status is S.LAPSED and standing.since == date(2026, 8, 16)
    assert standing.protection_ends == date(2026, 8, 15)
    assert standing.window_ends == date(2026, 11, 15)
    assert changes[-1] == lifecycle.Change(date(2026, 8, 16), S.ACTIVE, S.LAPSED, "arrears")
    # Three unpaid months are still allowed.
    assert standing_on(paid, date(2026, 8, 1), RULES).status is S.ACTIVE


def test_arrears_paid_within_the_window_restore_protection() -> None:
    """ "Arrears can be paid up to 3 months after protection ended, which restores it"."""
    paid = on_time(*[date(2026, m, 1) for m in range(1, 5)])
    # On 1 October May and June are paid: July, August, September remain, three in a row.
    late = [Paid(date(2026, 5, 1), date(2026, 10, 1)), Paid(date(2026, 6, 1), date(2026, 10, 1))]
    standing, changes = replay(paid + late, date(2026, 10, 2), RULES)
    assert standing.status is S.ACTIVE and standing.since == date(2026, 10, 1)
    assert changes[-1].reason == lifecycle.ARREARS_PAID
    # The last day of the window still counts.
    last_day = [Paid(m, date(2026, 11, 15)) for m in (date(2026, 5, 1), date(2026, 6, 1))]
    last_day += [Paid(m, date(2026, 11, 15)) for m in (date(2026, 7, 1), date(2026, 8, 1))]
    assert standing_on(paid + last_day, date(2026, 11, 20), RULES).status is S.ACTIVE


def test_a_payment_leaving_too_long_a_run_keeps_the_member_lapsed_and_the_window() -> None:
    paid = on_time(*[date(2026, m, 1) for m in range(1, 5)])
    some = [Paid(date(2026, 9, 1), date(2026, 10, 1))]  # May-August still unpaid
    standing = standing_on(paid + some, date(2026, 10, 2), RULES)
    assert standing.status is S.LAPSED and standing.window_ends == date(2026, 11, 15)


def test_past_the_window_the_membership_ends_and_payments_are_refused() -> None:
    """ "past that window the membership ends"."""
    paid = on_time(*[date(2026, m, 1) for m in range(1, 5)])
    standing, changes = replay(paid, date(2026, 11, 16), RULES)
    assert standing.status is S.ENDED and standing.since == date(2026, 11, 16)
    assert changes[-1] == lifecycle.Change(date(2026, 11, 16), S.LAPSED, S.ENDED, "window_passed")
    assert lifecycle.payment_refusal(standing) == lifecycle.Finding(
        lifecycle.MEMBERSHIP_ENDED, {"ended": date(2026, 8, 15), "window": date(2026, 11, 15)}
    )
    assert lifecycle.payment_refusal(standing_on(paid, date(2026, 11, 15), RULES)) is None
    # A payment made after the end changes nothing.
    after = [Paid(m, date(2026, 11, 20)) for m in (date(2026, 5, 1), date(2026, 6, 1))]
    assert standing_on(paid + after, date(2026, 12, 1), RULES).status is S.ENDED


def test_the_numbers_are_reference_data() -> None:
    paid = on_time(*[date(2026, m, 1) for m in range(1, 5)])
    two = Rules(max_arrears=1, window_months=1, due_day=20)
    standing = standing_on(paid, date(2026, 6, 21), two)
    assert standing.status is S.LAPSED and standing.protection_ends == date(2026, 6, 20)
    assert standing.window_ends == date(2026, 7, 20)


def test_the_nightly_task_catches_up_missed_nights() -> None:
    paid = on_time(*[date(2026, m, 1) for m in range(1, 5)])
    stored = standing_on(paid, date(2026, 4, 10), RULES)
    later, changes = daily_step(stored, date(2026, 12, 1))
    assert [c.after for c in changes] == [S.LAPSED, S.ENDED]
    assert later == standing_on(paid, date(2026, 12, 1), RULES)


# --------------------------------------------------------------------------------------------
# Property: the nightly task reaches the status recomputed from the history alone
# --------------------------------------------------------------------------------------------

FIRST_DAY = date(2025, 1, 1)
SPAN = 1100  # days


@st.composite
def histories(draw: st.DrawFn) -> tuple[Rules, list[tuple[int, int, int]], set[int]]:
    rules = Rules(
        max_arrears=draw(st.integers(0, 4)),
        window_months=draw(st.integers(0, 4)),
        due_day=draw(st.sampled_from([1, 10, 15, 28])),
    )
    payments = draw(
        st.lists(
            st.tuples(
                st.integers(0, SPAN),  # payment day
                st.integers(-8, 2),  # first month, from the payment's month
                st.sampled_from([1, 1, 1, 3, 6, 12]),
            ),
            max_size=30,
        )
    )
    # Nights the task did not run (an outage): the next run catches up.
    skipped = draw(st.sets(st.integers(0, SPAN + 90), max_size=200))
    return rules, payments, skipped


def status_by_timeline(changes: list[lifecycle.Change], day: date) -> tuple[S, date | None]:
    status, since = S.REGISTERED, None
    for change in changes:
        if change.day <= day:
            status, since = change.after, change.day
    return status, since


@settings(max_examples=300, deadline=None)
@given(histories())
def test_the_nightly_task_and_the_payments_reach_the_status_of_the_history(
    history: tuple[Rules, list[tuple[int, int, int]], set[int]],
) -> None:
    """As the services run it, day by day: the task first (``daily_step``; some nights it
    does not run), then the day's payments, each refused when the membership ended (or for a
    month already paid), the status recomputed from the history at each. After every night
    the task ran, the stored status at the end of the day is the one the whole history recorded gives that day
    (``replay``), and so is everything stored on the last day."""
    rules, drawn, skipped = history
    by_day: dict[int, list[tuple[int, int]]] = {}
    for day, offset, months in drawn:
        by_day.setdefault(day, []).append((offset, months))
    recorded: list[Paid] = []
    stored = Standing(S.REGISTERED)
    nights: list[tuple[date, S, date | None]] = []
    for offset in range(SPAN + 91):
        day = FIRST_DAY + timedelta(days=offset)
        ran = offset not in skipped
        if ran:
            stored, _ = daily_step(stored, day)
        for first, count in by_day.get(offset, []):
            before = standing_on(recorded, day, rules)
            months = [add_months(month_start(day), first + i) for i in range(count)]
            known = {p.period for p in recorded}
            if lifecycle.payment_refusal(before) is not None or known & set(months):
                continue
            recorded.extend(Paid(m, day) for m in months)
            stored = standing_on(recorded, day, rules)
        if ran:
            nights.append((day, stored.status, stored.since))
    last = FIRST_DAY + timedelta(days=SPAN + 90)
    final, changes = replay(recorded, last, rules)
    for day, status, since in nights:
        assert (status, since) == status_by_timeline(changes, day), day
    stored, _ = daily_step(stored, last)
    assert stored == final


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 4),
    st.lists(st.booleans(), min_size=12, max_size=48),
)
def test_only_a_long_enough_run_of_unpaid_months_lapses(n: int, pattern: list[bool]) -> None:
    """Paid on time month by month (the first month paid), the member lapses exactly when
    more than N consecutive months went unpaid: the length of the runs alone decides."""
    rules = Rules(max_arrears=n, window_months=3, due_day=15)
    months = [add_months(date(2025, 1, 1), i) for i in range(len(pattern))]
    pattern[0] = True
    paid = on_time(*[m for m, p in zip(months, pattern, strict=True) if p])
    on = months[-1].replace(day=16)
    longest = run = 0
    for p in pattern:
        run = 0 if p else run + 1
        longest = max(longest, run)
    changes = replay(paid, on, rules)[1]
    assert any(c.after is S.LAPSED for c in changes) == (longest > n)


@settings(max_examples=200, deadline=None)
@given(histories())
def test_an_ended_membership_stays_ended(
    history: tuple[Rules, list[tuple[int, int, int]], set[int]],
) -> None:
    rules, drawn, _ = history
    paid = [
        Paid(add_months(month_start(FIRST_DAY + timedelta(days=d)), f), FIRST_DAY + timedelta(d))
        for d, f, _ in drawn
    ]
    changes = replay(paid, FIRST_DAY + timedelta(days=SPAN), rules)[1]
    statuses = [c.after for c in changes]
    assert S.ENDED not in statuses or statuses.index(S.ENDED) == len(statuses) - 1
    assert all(a.day <= b.day for a, b in zip(changes, changes[1:], strict=False))


def test_a_deceased_members_jht_is_still_claimed_by_the_heirs():
    """domain.md: "A paid death claim (JKM, or JKK death) ends the membership in the same step"
    and "JHT is the member's own savings": after the death benefit no claim is registered any
    more, except the JHT of a member who chose it."""
    from models import ClaimType

    assert lifecycle.claim_open(S.DECEASED, ClaimType.JHT, has_jht=True)
    assert lifecycle.claim_open(S.DECEASED, None, has_jht=True)  # the button is offered
    assert not lifecycle.claim_open(S.DECEASED, ClaimType.JKM, has_jht=True)
    assert not lifecycle.claim_open(S.DECEASED, ClaimType.JKK, has_jht=True)
    assert not lifecycle.claim_open(S.DECEASED, ClaimType.JHT, has_jht=False)
    assert not lifecycle.claim_open(S.DECEASED, None, has_jht=False)
    assert not lifecycle.claim_open(S.EXITED, ClaimType.JHT, has_jht=True)  # JHT paid out
    for status in (S.REGISTERED, S.ACTIVE, S.LAPSED, S.ENDED):
        assert lifecycle.claim_open(status, ClaimType.JKM, has_jht=False)
