"""The password policy: length, not the person's own names, not a common password, all of
it judged on the NFKC form of what was typed; and the shipped list it refuses."""

import unicodedata

import pytest
from registration.common_passwords import load_common_passwords
from registration.domain.passwords import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    PASSWORD_RULES,
    PasswordPolicy,
    normalise_password,
)

from .conftest import PASSWORDS

ADA = {"username": "countess", "email": "ada.lovelace@example.org"}
COMMON = "this is one of the most common passwords: choose another"


def full_width(text: str) -> str:
    """`text` as a full-width (East Asian) keyboard types it: U+FF21 for "A", and so on."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def refusal(password: str, **person: str) -> str | None:
    return PASSWORDS.refusal(password, **{**ADA, **person})


def test_the_shipped_list_holds_the_10000_most_common_passwords() -> None:
    common = load_common_passwords()
    assert len(common) == 10_000
    assert {"123456", "password", "qwerty", "1234567890", "iloveyou"} <= common
    assert all(p == p.lower() and p.strip() == p and p for p in common)


@pytest.mark.parametrize("password", ["1234567890", "qwertyuiop", "password123", "basketball"])
def test_a_common_password_is_refused(password: str) -> None:
    assert refusal(password) == COMMON


def test_a_common_password_is_refused_in_any_case() -> None:
    assert refusal("QwertyUiop") == COMMON
    assert refusal("BASKETBALL") == COMMON


def test_a_common_password_is_refused_however_it_was_typed() -> None:
    """NFKC first: full-width letters, as a Japanese keyboard types them, are the same."""
    typed = full_width("qwertyuiop")
    assert typed != "qwertyuiop"
    assert normalise_password(typed) == "qwertyuiop"
    assert refusal(typed) == COMMON


def test_length_counts_the_normalised_form() -> None:
    # Ten characters typed, nine once composed (e + a combining acute accent is one é).
    decomposed = "pq7pq7pqe\u0301"
    assert len(decomposed) == MIN_PASSWORD
    assert len(normalise_password(decomposed)) == MIN_PASSWORD - 1
    assert refusal(decomposed) == f"at least {MIN_PASSWORD} characters"
    # A ligature is two letters once normalised: "ﬁ" counts as "fi".
    assert refusal("pq7pq7pq\ufb01") is None
    assert refusal("x7" * (MAX_PASSWORD // 2) + "y") == f"at most {MAX_PASSWORD} characters"


def test_not_the_username_nor_the_email_in_any_case() -> None:
    own = "must not be your username or your email address"
    assert refusal("countess12", username="Countess12") == own
    assert refusal("ADA.LOVELACE@example.org") == own
    assert refusal("ada.lovelace@example.org") == own


def test_not_containing_the_emails_local_part() -> None:
    local = "must not contain the part of your email address before the @"
    assert refusal("my Ada.Lovelace password") == local
    assert refusal("xxada.lovelacexx") == local
    assert refusal("ada lovelace is great") is None, "the local part whole, not its words"


def test_a_very_short_local_part_refuses_nothing() -> None:
    """A local part of one or two letters would be in most passwords."""
    assert refusal("a quiet pass phrase", email="a@example.org") is None
    assert refusal("an abc pass phrase", email="abc@example.org") is not None


def test_a_good_password() -> None:
    assert refusal("correct horse battery staple") is None


def test_the_rules_a_person_reads_say_each_rule() -> None:
    assert f"At least {MIN_PASSWORD} characters" in PASSWORD_RULES
    assert "username" in PASSWORD_RULES and "email" in PASSWORD_RULES
    assert "10,000 most common" in PASSWORD_RULES


def test_a_policy_of_any_list_normalises_it() -> None:
    policy = PasswordPolicy.of([full_width("Supersecret1")])
    assert policy.common == frozenset({"supersecret1"})
    assert policy.refusal("SUPERSECRET1", username="u", email="e@x.org") == COMMON
    assert unicodedata.is_normalized("NFKC", next(iter(policy.common)))
