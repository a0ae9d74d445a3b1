"""Who asks, and where the events they cause come from."""

from dataclasses import dataclass

from onboarding_contracts import Origin

SOURCE = "/onboarding/enrolment"


@dataclass(frozen=True)
class Caller:
    """The tenant calling, and the correlation id every resulting event carries."""

    tenant_id: str
    correlation_id: str

    @property
    def origin(self) -> Origin:
        return Origin(SOURCE, self.tenant_id, self.correlation_id)
