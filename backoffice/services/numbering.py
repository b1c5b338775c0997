"""KPJ numbers handed out from one counter (``kpj_counter``): a block per reservation.

The registration queue, the seeds and the tests all reserve here, so no two members ever share a
number, also when several transactions reserve at once.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import Session

from models import KpjCounter

from ..errors import DomainError
from ..rules.kpj import SERIAL_SPACE, kpj_number


def reserve_serials(session: Session, count: int) -> int:
    """Reserve ``count`` consecutive serials with one UPDATE (it waits for another open
    reservation and follows it); the first of them."""
    end = session.execute(
        update(KpjCounter)
        .where(KpjCounter.id == 1)
        .values(next_serial=KpjCounter.next_serial + count)
        .returning(KpjCounter.next_serial)
        # No loaded object mirrors the counter: nothing in the session to synchronise.
        .execution_options(synchronize_session=False)
    ).scalar_one()
    if end - 1 >= SERIAL_SPACE:
        raise DomainError(_l("The KPJ number range is exhausted; contact the administrator."))
    return end - count


def reserve_kpj(session: Session, count: int) -> list[str]:
    """``count`` new KPJ numbers, consecutive."""
    if count <= 0:
        return []
    first = reserve_serials(session, count)
    return [kpj_number(serial) for serial in range(first, first + count)]
