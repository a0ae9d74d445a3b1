"""The password policy, which the join page shows before anyone types (`PASSWORD_RULES`).

A password is NFKC-normalised before it is checked and before it is hashed, so that the
same password typed on two keyboards (a full-width A, a composed or decomposed accent,
a ligature) is one password, and the rules judge what will be stored."""

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MIN_PASSWORD = 10
MAX_PASSWORD = 256
# An email's local part shorter than this is left out of the "not containing" rule: a
# local part of one or two letters would refuse most passwords for no gain.
MIN_LOCAL_PART = 3

PASSWORD_RULES = (
    f"At least {MIN_PASSWORD} characters. Not your username or your email address, and "
    "not containing the part of your email address before the @. Not one of the 10,000 "
    "most common passwords."
)


def normalise_password(password: str) -> str:
    return unicodedata.normalize("NFKC", password)


def length_refusal(password: str) -> str | None:
    """Why `password` (already normalised) is refused for its length alone."""
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"at most {MAX_PASSWORD} characters"
    return None


@dataclass(frozen=True)
class PasswordPolicy:
    """The rules, with the list of common passwords they refuse (lower case; shipped with
    the service and loaded once, see `registration.common_passwords`)."""

    common: frozenset[str]

    @classmethod
    def of(cls, common: Iterable[str]) -> "PasswordPolicy":
        return cls(frozenset(normalise_password(p).lower() for p in common))

    def refusal(self, password: str, *, username: str, email: str) -> str | None:
        """Why `password` is refused for this person; None when it is not. The password
        is normalised here first, as it is before hashing."""
        password = normalise_password(password)
        if (refused := length_refusal(password)) is not None:
            return refused
        folded = password.casefold()
        local_part = email.rpartition("@")[0].casefold()
        if folded in (username.casefold(), email.casefold()):
            return "must not be your username or your email address"
        if len(local_part) >= MIN_LOCAL_PART and local_part in folded:
            return "must not contain the part of your email address before the @"
        if password.lower() in self.common:
            return "this is one of the most common passwords: choose another"
        return None
