"""The notification service's dependencies, built once over its runtime."""

from dataclasses import dataclass

from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.sealing import Sealer
from onboarding_kit.uow import UnitOfWork

from notification.channels.email import EmailChannel
from notification.channels.email.smtp import SmtpPool
from notification.settings import NotificationSettings
from notification.store import NotificationTransaction


@dataclass(frozen=True)
class NotificationDependencies:
    settings: NotificationSettings
    uow: UnitOfWork[NotificationTransaction]
    clock: Clock
    sealer: Sealer  # opens the accept links sealed by the invitation service
    email: EmailChannel
    sender: str  # the From of every email


def bootstrap(runtime: ServiceRuntime, settings: NotificationSettings) -> NotificationDependencies:
    smtp = SmtpPool(settings.smtp_host, settings.smtp_port, size=settings.smtp_pool_size)
    runtime.on_stop.append(smtp.close)
    return NotificationDependencies(
        settings=settings,
        uow=runtime.unit_of_work(NotificationTransaction),
        clock=utcnow,
        sealer=Sealer(settings.invitation_link_key),
        email=smtp,
        sender=settings.mail_from,
    )
