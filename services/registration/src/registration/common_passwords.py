"""The list of common passwords the password policy refuses, shipped with the service as
`data/common-passwords.txt`: one password a line, lower case, most common first.

Where it comes from, so that anyone can make it again: the first 10,000 lines of the
list Django 5.2.8 ships (`django/contrib/auth/common-passwords.txt.gz`: Royce Williams'
list of the most common passwords, lower-cased and deduplicated, in order of frequency):

    pip download --no-deps django==5.2.8
    unzip -p django-5.2.8-py3-none-any.whl django/contrib/auth/common-passwords.txt.gz \\
        | zcat | head -n 10000 > data/common-passwords.txt

Most of them are shorter than the policy's minimum length and are refused for that
already; the list catches the long ones ("1234567890", "qwertyuiop", "password123")."""

from importlib.resources import files

from registration.domain.passwords import PasswordPolicy

RESOURCE = "common-passwords.txt"


def load_common_passwords() -> frozenset[str]:
    text = files("registration").joinpath("data", RESOURCE).read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line)


def password_policy() -> PasswordPolicy:
    """The policy with the shipped list (read once, when the service is built)."""
    return PasswordPolicy.of(load_common_passwords())
