"""A tenant's catalogue: an enrolment names a course that exists, and a cohort of it or
none."""

from dataclasses import dataclass

from enrolment.errors import AlreadyExists, InvalidEnrolment


def unknown_course(course: str) -> InvalidEnrolment:
    return InvalidEnrolment(
        "course", f"unknown course {course!r}: create it first with POST /v1/courses"
    )


def duplicate_course(code: str) -> AlreadyExists:
    return AlreadyExists(f"course {code!r} already exists")


def duplicate_cohort(course: str, code: str) -> AlreadyExists:
    return AlreadyExists(f"cohort {code!r} already exists in course {course!r}")


@dataclass(frozen=True)
class CohortsOf:
    """The cohorts one course has."""

    course: str
    codes: frozenset[str]

    def check(self, cohort: str | None) -> None:
        """An enrolment names one of these cohorts, or none."""
        if cohort and cohort not in self.codes:
            raise InvalidEnrolment("cohort", f"unknown cohort {cohort!r} in course {self.course!r}")
