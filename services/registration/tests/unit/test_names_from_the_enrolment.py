"""The set-password page starts from the enrolment's full name, split into the form's two."""

import pytest
from registration.domain.text import first_and_last


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ada Lovelace", ("Ada", "Lovelace")),
        ("Ada Byron  Lovelace", ("Ada Byron", "Lovelace")),
        ("  Plato ", ("Plato", "")),
        ("", ("", "")),
        ("Ada\x00Lovelace", ("Ada", "Lovelace")),
    ],
)
def test_the_last_word_is_the_last_name(name: str, expected: tuple[str, str]) -> None:
    assert first_and_last(name) == expected
