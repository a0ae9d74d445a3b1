"""SMS length: GSM-7 or UCS-2, and how many segments a text costs."""

import pytest
from onboarding_kit.sms_text import check_fits, is_gsm7, sms_encoding, sms_segments

EMOJI = "\N{GRINNING FACE}"  # outside the BMP: two UTF-16 code units


def test_plain_text_and_the_gsm_letters_are_gsm7() -> None:
    assert is_gsm7("Hello Ann, join Biology 101: https://join.example.org/a?t=x_y-z")
    assert is_gsm7("@£$¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¤¡ÄÖÑÜ§¿äöñüà\r\n")
    assert sms_encoding("Hello") == "GSM-7"


def test_the_extension_table_is_gsm7() -> None:
    assert is_gsm7("€ [x] {y} ~ | ^ \\ \f")


@pytest.mark.parametrize("text", ["naïve", "Zoë", "日本語", "“smart quotes”", EMOJI, "`", "\x1b"])
def test_anything_else_is_ucs2(text: str) -> None:
    assert not is_gsm7(text)
    assert sms_encoding(text) == "UCS-2"


def test_an_empty_text_is_no_segment() -> None:
    assert sms_segments("") == 0


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (153 * 3, 3), (153 * 3 + 1, 4)],
)
def test_gsm7_is_160_alone_then_153_per_part(length: int, segments: int) -> None:
    assert sms_segments("a" * length) == segments


def test_a_euro_sign_counts_two_septets() -> None:
    assert sms_segments("€" * 80) == 1
    assert sms_segments("a" * 159 + "€") == 2
    assert sms_segments("€" * 81) == 2


def test_an_extension_character_is_never_split_across_parts() -> None:
    # 152 septets, then the euro's two would straddle the first part's end: it opens the
    # second part, which then holds it and 151 more.
    assert sms_segments("a" * 152 + "€" + "a" * 151) == 2
    assert sms_segments("a" * 152 + "€" + "a" * 152) == 3


@pytest.mark.parametrize(("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_is_70_alone_then_67_per_part(length: int, segments: int) -> None:
    assert sms_segments("ï" * length) == segments


def test_one_non_gsm_character_turns_the_whole_text_to_ucs2() -> None:
    assert sms_segments("a" * 70) == 1
    assert sms_segments("a" * 69 + "ï") == 1
    assert sms_segments("a" * 70 + "ï") == 2


def test_an_emoji_forces_ucs2_and_counts_two_code_units() -> None:
    assert sms_segments(EMOJI) == 1
    assert sms_segments(EMOJI * 35) == 1
    assert sms_segments(EMOJI * 35 + "a") == 2
    assert sms_segments("a" * 69 + EMOJI) == 2


def test_an_emoji_is_never_split_across_parts() -> None:
    # 66 units, then the emoji's two would straddle the first part's end.
    assert sms_segments("a" * 66 + EMOJI + "a" * 65) == 2
    assert sms_segments("a" * 66 + EMOJI + "a" * 66) == 3


def test_check_fits_answers_the_segments_of_a_text_within_budget() -> None:
    assert check_fits("a" * 306, max_segments=2) == 2
    assert check_fits("", max_segments=1) == 0


def test_check_fits_refuses_a_text_over_budget_naming_its_size() -> None:
    with pytest.raises(ValueError, match=r"3 SMS segments \(GSM-7\).*2 allowed"):
        check_fits("a" * 307, max_segments=2)
    with pytest.raises(ValueError, match=r"2 SMS segments \(UCS-2\).*1 allowed"):
        check_fits(EMOJI * 36, max_segments=1)
