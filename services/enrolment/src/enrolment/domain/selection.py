"""Which enrolments a list, an export, a funnel, a bulk invite, a reminder, a bulk
activation or credentials are about; which invitations a list is about."""

from dataclasses import dataclass

from enrolment.domain.invitations import InvitationStatus
from enrolment.errors import InvalidEnrolment


@dataclass(frozen=True)
class Selection:
    status: str | None = None
    role: str | None = None
    course: str | None = None
    cohort: str | None = None
    import_id: str | None = None
    text: str | None = None  # matched against name, email and external id

    def check_names_a_group(self) -> None:
        """A bulk invite is about a course, a cohort or an import: never everyone."""
        if not (self.course or self.cohort or self.import_id):
            raise InvalidEnrolment("course", "name a course, a cohort or an import to invite")


@dataclass(frozen=True)
class PeopleSelection:
    """Whom a bulk action (an activation, credentials) is about: each group named narrows
    it; `ids` are enrolments'."""

    course: str | None = None
    cohort: str | None = None
    import_id: str | None = None
    ids: tuple[str, ...] | None = None

    def check_names_someone(self, action: str) -> None:
        """A bulk action names a group or enrolments: never the whole tenant."""
        if not (self.course or self.cohort or self.import_id or self.ids):
            raise InvalidEnrolment(
                "course", f"name a course, a cohort, an import or enrolment ids to {action}"
            )


@dataclass(frozen=True)
class InvitationSelection:
    status: InvitationStatus | None = None
    course: str | None = None
    cohort: str | None = None
    import_id: str | None = None
    email: str | None = None  # the whole address, whatever its case
