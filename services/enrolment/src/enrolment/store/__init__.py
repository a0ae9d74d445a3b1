"""The enrolment service's SQL, one module per aggregate, and the transaction that holds
them. Outbox writes go through the kit (`tx.publish`)."""

import asyncpg
from onboarding_kit.uow import Transaction

from enrolment.store.accounts import AccountRows
from enrolment.store.bulk import BulkRows
from enrolment.store.courses import CourseRows
from enrolment.store.enrolments import EnrolmentRows
from enrolment.store.funnel import FunnelRows
from enrolment.store.imports import ImportRows
from enrolment.store.invitations import InvitationRows
from enrolment.store.messages import MessageRows
from enrolment.store.reminders import ReminderRows
from enrolment.store.tenants import TenantRows


class EnrolmentTransaction(Transaction):
    """One open transaction of the enrolment database: a store per aggregate, and the
    outbox."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.tenants = TenantRows(conn)
        self.courses = CourseRows(conn)
        self.enrolments = EnrolmentRows(conn)
        self.funnel = FunnelRows(conn)
        self.imports = ImportRows(conn)
        self.accounts = AccountRows(conn)
        self.invitations = InvitationRows(conn)
        self.messages = MessageRows(conn)
        self.reminders = ReminderRows(conn)
        self.bulk = BulkRows(conn)

    async def limit_statement_time(self, milliseconds: int) -> None:
        """Cancel any later statement of this transaction that runs longer (a local
        setting: the pooled connection has its default again once this ends)."""
        await self.conn.execute(
            "SELECT set_config('statement_timeout', $1, true)", f"{int(milliseconds)}ms"
        )
