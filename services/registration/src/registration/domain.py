"""Registration rules: what a valid sign-up form is. No I/O."""

import re
from dataclasses import dataclass

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,31}")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_NAME = 100


class InvalidRegistration(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class SignUp:
    token: str
    first_name: str
    last_name: str
    username: str
    password: str


def validate_sign_up(
    *, token: str, first_name: str, last_name: str, username: str, password: str
) -> SignUp:
    """All problems at once, keyed by field, so a form can show each next to its input."""
    errors: dict[str, str] = {}
    first, last = " ".join(first_name.split()), " ".join(last_name.split())
    if not token.strip():
        errors["token"] = "the invitation link is incomplete"  # noqa: S105
    if not first:
        errors["first_name"] = "enter your first name"
    elif len(first) > MAX_NAME:
        errors["first_name"] = f"at most {MAX_NAME} characters"
    if not last:
        errors["last_name"] = "enter your last name"
    elif len(last) > MAX_NAME:
        errors["last_name"] = f"at most {MAX_NAME} characters"
    clean_username = username.strip().lower()
    if not USERNAME.fullmatch(clean_username):
        errors["username"] = (
            "3 to 32 characters: letters, digits, dots, dashes or underscores, "
            "starting with a letter or digit"
        )
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"at least {MIN_PASSWORD} characters"
    elif len(password) > MAX_PASSWORD:
        errors["password"] = f"at most {MAX_PASSWORD} characters"
    if errors:
        raise InvalidRegistration(errors)
    return SignUp(token.strip(), first, last, clean_username, password)
