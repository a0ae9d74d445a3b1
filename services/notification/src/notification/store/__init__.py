"""The notification service's SQL, one module per aggregate, and its transaction."""

import asyncpg
from onboarding_kit.uow import Transaction

from notification.store.messages import MessageRows
from notification.store.tenants import TenantRows

# NOTIFY channel of the sender: a message was queued (delivered at the commit).
MESSAGES_QUEUED = "notification_messages_queued"


class NotificationTransaction(Transaction):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.messages = MessageRows(conn)
        self.tenants = TenantRows(conn)
