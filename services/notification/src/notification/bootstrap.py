"""The notification service's dependencies, built once over its runtime."""

from dataclasses import dataclass

from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.metrics import ServiceMetrics
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.sealing import Sealer
from onboarding_kit.uow import UnitOfWork
from onboarding_kit.wakeup import Wakeup

from notification.channels.email.smtp import SmtpPool
from notification.channels.sms import SmsChannel
from notification.channels.sms.twilio import TwilioMessages
from notification.domain.delivery import RetryPolicy
from notification.domain.pacing import Pacing
from notification.settings import NotificationSettings
from notification.store import MESSAGES_QUEUED, NotificationTransaction
from notification.use_cases.delivering import Channels
from notification.use_cases.dispatching import Dispatcher, SenderConfig


@dataclass(frozen=True)
class NotificationDependencies:
    settings: NotificationSettings
    uow: UnitOfWork[NotificationTransaction]
    clock: Clock
    sealer: Sealer  # opens the links the invitation service sealed
    sender: Dispatcher
    metrics: ServiceMetrics


def _sms(settings: NotificationSettings) -> SmsChannel | None:
    if not settings.sms_provider_url:
        return None
    return TwilioMessages(
        settings.sms_provider_url,
        settings.sms_account_sid,
        settings.sms_auth_token.get_secret_value(),
        settings.sms_from,
        messaging_service_sid=settings.sms_messaging_service_sid,
    )


def bootstrap(runtime: ServiceRuntime, settings: NotificationSettings) -> NotificationDependencies:
    smtp = SmtpPool(
        settings.smtp_host,
        settings.smtp_port,
        size=settings.smtp_connections,
        timeout_s=settings.smtp_timeout_s,
        tls=settings.smtp_tls,
        # An empty username (compose passes every variable through) means no login.
        username=settings.smtp_username or None,
        password=(
            settings.smtp_password.get_secret_value()
            if settings.smtp_username and settings.smtp_password
            else None
        ),
        ca_file=settings.smtp_ca_file,
    )
    runtime.on_stop.append(smtp.close)
    sms = _sms(settings)
    if sms is not None:
        runtime.on_stop.append(sms.close)
    uow = runtime.unit_of_work(NotificationTransaction)
    sealer = Sealer(settings.invitation_link_key)
    sender = Dispatcher(
        uow=uow,
        channels=Channels(
            email=smtp,
            sms=sms,
            sealer=sealer,
            mail_from=settings.mail_from,
            sign_in_url=settings.sign_in_url,
            sms_status_callback_url=settings.sms_status_callback_url,
        ),
        pacing=Pacing(default_rate=settings.messages_per_second),
        retries=RetryPolicy(
            base_s=settings.retry_base_s,
            cap_s=settings.retry_cap_s,
            give_up_after_s=settings.give_up_after_s,
        ),
        clock=utcnow,
        wakeup=Wakeup(settings.database_url, MESSAGES_QUEUED),
        metrics=runtime.metrics,
        config=SenderConfig(
            concurrency=settings.send_concurrency,
            lease_s=settings.send_lease_s,
            poll_interval_s=settings.send_poll_interval_s,
        ),
    )
    return NotificationDependencies(
        settings=settings,
        uow=uow,
        clock=utcnow,
        sealer=sealer,
        sender=sender,
        metrics=runtime.metrics,
    )
