"""How long a text is as SMS: its encoding and how many segments it costs.

A text made only of the GSM 03.38 alphabet goes as GSM-7: 160 septets in a lone message,
153 per part once it has to be split (the other 7 carry the header that joins the parts).
The extension table's characters (the euro sign, brackets, ...) take two septets each, an
escape and the character. Any other character sends the whole text as UCS-2: 70 UTF-16 code
units alone, 67 per part, and a character outside the Basic Multilingual Plane (most emoji)
takes two code units. Phones do not split a two-unit character across parts, so a part may
end one unit short.

Each segment is charged as a message, and carriers may drop long concatenations; the sender
checks a rendered text against a budget before it goes.
"""

from typing import Literal

Encoding = Literal["GSM-7", "UCS-2"]

# The GSM 03.38 basic alphabet in code order, without 0x1B (the escape to the extension
# table, never a character of its own).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ"
    " !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_PART = 160, 153
UCS2_SINGLE, UCS2_PART = 70, 67


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def sms_encoding(text: str) -> Encoding:
    return "GSM-7" if is_gsm7(text) else "UCS-2"


def _units(text: str, encoding: Encoding) -> list[int]:
    """The size of each character: septets in GSM-7, UTF-16 code units in UCS-2."""
    if encoding == "GSM-7":
        return [2 if char in GSM7_EXTENSION else 1 for char in text]
    return [2 if ord(char) > 0xFFFF else 1 for char in text]


def sms_segments(text: str) -> int:
    """How many SMS segments `text` is sent as (0 for an empty text)."""
    encoding = sms_encoding(text)
    units = _units(text, encoding)
    single, part = (GSM7_SINGLE, GSM7_PART) if encoding == "GSM-7" else (UCS2_SINGLE, UCS2_PART)
    if sum(units) <= single:
        return 1 if units else 0
    segments, room = 1, part
    for size in units:  # fill part after part; a character never straddles two
        if size > room:
            segments, room = segments + 1, part
        room -= size
    return segments


def check_fits(text: str, max_segments: int) -> int:
    """The number of segments of `text`; ValueError when that is more than `max_segments`."""
    segments = sms_segments(text)
    if segments > max_segments:
        raise ValueError(
            f"the text is {segments} SMS segments ({sms_encoding(text)}), "
            f"more than the {max_segments} allowed"
        )
    return segments
