"""Which enrolments a list, an export, a funnel, a bulk invite, a reminder, a bulk
activation or credentials are about; which invitations a list is about."""

from dataclasses import dataclass

from enrolment.domain.attributes import check_flag_name
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
    # The school's record (seed 003): every tag and section given, each flag as given
    # ((name, True): set true; (name, False): not set true), the whole file number, the
    # phone number by its digits (`phone_digits`).
    tags: tuple[str, ...] = ()
    flags: tuple[tuple[str, bool], ...] = ()
    file_number: str | None = None
    phone: str | None = None
    sections: tuple[str, ...] = ()

    def check_names_a_group(self) -> None:
        """A bulk invite is about a course, a cohort or an import: never everyone."""
        if not (self.course or self.cohort or self.import_id):
            raise InvalidEnrolment("course", "name a course, a cohort or an import to invite")


def flag_filter(raw: str) -> tuple[str, bool]:
    """A flag filter, `<name>` or `<name>:true` (set true) or `<name>:false` (not set true:
    false, or never set)."""
    name, colon, value = raw.strip().partition(":")
    check_flag_name("flag", name)
    if colon and value.strip().lower() not in ("true", "false"):
        raise InvalidEnrolment("flag", f"{raw[:50]!r}: a flag name, then :true or :false")
    return name, not colon or value.strip().lower() == "true"


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
