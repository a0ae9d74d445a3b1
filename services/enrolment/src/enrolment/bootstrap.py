"""The enrolment service's dependencies, built once: routes and subscribers get them."""

from dataclasses import dataclass

from onboarding_kit.clock import Clock, utcnow
from onboarding_kit.ids import IdFactory, new_id
from onboarding_kit.runtime import ServiceRuntime
from onboarding_kit.uow import UnitOfWork

from enrolment.settings import EnrolmentSettings
from enrolment.store import EnrolmentTransaction


@dataclass(frozen=True)
class EnrolmentDependencies:
    settings: EnrolmentSettings
    uow: UnitOfWork[EnrolmentTransaction]
    clock: Clock
    new_id: IdFactory


def bootstrap(
    runtime: ServiceRuntime,
    settings: EnrolmentSettings,
    *,
    clock: Clock = utcnow,
    ids: IdFactory = new_id,
) -> EnrolmentDependencies:
    return EnrolmentDependencies(
        settings=settings,
        uow=runtime.unit_of_work(EnrolmentTransaction),
        clock=clock,
        new_id=ids,
    )
