"""The notification service's SQL, one module per aggregate, and its transaction."""

import asyncpg
from onboarding_kit.uow import Transaction

from notification.store.notifications import NotificationRows
from notification.store.welcome_emails import WelcomeEmailRows


class NotificationTransaction(Transaction):
    def __init__(self, conn: asyncpg.Connection) -> None:
        super().__init__(conn)
        self.notifications = NotificationRows(conn)
        self.welcome_emails = WelcomeEmailRows(conn)
