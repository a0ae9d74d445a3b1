"""What a school keeps about a person besides how to reach them (seed 003): a middle name,
the personal file number, free tags, the tenant's own yes/no flags ("is inclusive?", "is
individual?") and sections. Each rule once, for the API, a CSV row and a change."""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from enrolment.domain.text import MAX_NAME_LENGTH, refuse_control_characters, refuse_longer_than
from enrolment.errors import InvalidEnrolment

MAX_FILE_NUMBER_LENGTH = 100
MAX_TAGS = 50
MAX_TAG_LENGTH = 64
MAX_SECTIONS = 50
MAX_SECTION_LENGTH = 100
MAX_FLAGS = 50
MAX_FLAG_NAME_LENGTH = 40
# A flag's name: lowercase letters, digits and underscores, starting with a letter.
FLAG_NAME_PATTERN = rf"^[a-z][a-z0-9_]{{0,{MAX_FLAG_NAME_LENGTH - 1}}}$"
_FLAG_NAME = re.compile(FLAG_NAME_PATTERN)
# How a CSV cell lists several tags or sections; so a tag never holds one.
LIST_SEPARATOR = ";"
# A CSV column holding one flag: `flag:inclusive`.
FLAG_COLUMN_PREFIX = "flag:"
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})

# Flags as stored: a name for each flag set, true or false (a flag not set is absent).
Flags = Mapping[str, bool]
_NO_FLAGS: Flags = MappingProxyType({})


@dataclass(frozen=True)
class Attributes:
    """A person's school record beyond their name and contact, validated and normalised."""

    middle_name: str | None = None
    file_number: str | None = None  # the personal file number
    tags: tuple[str, ...] = ()
    flags: Flags = field(default_factory=lambda: _NO_FLAGS)
    sections: tuple[str, ...] = ()


NO_ATTRIBUTES = Attributes()


@dataclass(frozen=True)
class FlagChanges:
    """A change to a person's flags: those set (to true or false), those removed."""

    set: Flags
    removed: tuple[str, ...]


def clean_labels(
    field_name: str, raw: Iterable[object] | None, most: int, longest: int
) -> tuple[str, ...]:
    """Labels (tags, sections) trimmed, blanks dropped, each once in the order first given;
    at most `most` of them, each at most `longest` characters, none holding the separator
    a CSV cell lists them with."""
    if raw is None:
        return ()
    if isinstance(raw, str):
        raise InvalidEnrolment(field_name, "a list of texts")
    labels: dict[str, None] = {}
    for item in raw:
        if not isinstance(item, str):
            raise InvalidEnrolment(field_name, "a list of texts")
        refuse_control_characters(field_name, item)
        label = item.strip()
        if not label:
            continue
        if LIST_SEPARATOR in label:
            raise InvalidEnrolment(field_name, f"{label!r} holds a {LIST_SEPARATOR!r}")
        if len(label) > longest:
            raise InvalidEnrolment(
                field_name, f"{label[:20]!r}\u2026 longer than {longest} characters"
            )
        labels[label] = None
    if len(labels) > most:
        raise InvalidEnrolment(field_name, f"more than {most} of them")
    return tuple(labels)


def clean_tags(raw: Iterable[object] | None) -> tuple[str, ...]:
    return clean_labels("tags", raw, MAX_TAGS, MAX_TAG_LENGTH)


def clean_sections(raw: Iterable[object] | None) -> tuple[str, ...]:
    return clean_labels("sections", raw, MAX_SECTIONS, MAX_SECTION_LENGTH)


def split_labels(raw: str | None) -> list[str]:
    """The labels of a CSV cell: `a; b;c`."""
    return (raw or "").split(LIST_SEPARATOR)


def check_flag_name(field_name: str, name: object) -> str:
    """A flag's name as given, if it is one (`FLAG_NAME_PATTERN`)."""
    if not isinstance(name, str) or not _FLAG_NAME.fullmatch(name):
        raise InvalidEnrolment(
            field_name,
            f"{str(name)[:50]!r} is not a flag name (lowercase letters, digits and underscores, "
            f"starting with a letter, at most {MAX_FLAG_NAME_LENGTH} characters)",
        )
    return name


def clean_flags(raw: object) -> Flags:
    """Flags by name, each true or false."""
    if raw is None:
        return _NO_FLAGS
    if not isinstance(raw, Mapping):
        raise InvalidEnrolment("flags", "an object of flag names, each true or false")
    if len(raw) > MAX_FLAGS:
        raise InvalidEnrolment("flags", f"more than {MAX_FLAGS} flags")
    flags: dict[str, bool] = {}
    for name, value in raw.items():
        check_flag_name("flags", name)
        if not isinstance(value, bool):
            raise InvalidEnrolment(f"flags.{name}", "true or false")
        flags[name] = value
    return MappingProxyType(flags)


def clean_flag_changes(raw: object) -> FlagChanges:
    """A change to flags: each named flag set to true or false, or removed by a null."""
    if not isinstance(raw, Mapping):
        raise InvalidEnrolment("flags", "an object of flag names, each true, false or null")
    if len(raw) > MAX_FLAGS:
        raise InvalidEnrolment("flags", f"more than {MAX_FLAGS} flags")
    changed: dict[str, bool] = {}
    removed: list[str] = []
    for name, value in raw.items():
        check_flag_name("flags", name)
        if value is None:
            removed.append(name)
        elif isinstance(value, bool):
            changed[name] = value
        else:
            raise InvalidEnrolment(f"flags.{name}", "true, false or null (to remove it)")
    return FlagChanges(MappingProxyType(changed), tuple(removed))


def flag_value(field_name: str, raw: str | None) -> bool | None:
    """A CSV cell of a flag: true/yes/1, false/no/0 (whatever the case), or empty: not set."""
    text = (raw or "").strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidEnrolment(
        field_name, f"{(raw or '')[:20]!r} is not a yes or no (true, false, yes, no, 1 or 0)"
    )


def flag_column(name: str) -> str:
    return f"{FLAG_COLUMN_PREFIX}{name}"


def flag_of_column(column: str) -> str | None:
    """The flag a column `flag:<name>` holds (the name checked); None for another column."""
    if not column.startswith(FLAG_COLUMN_PREFIX):
        return None
    return check_flag_name(column, column.removeprefix(FLAG_COLUMN_PREFIX))


def optional_attribute(field_name: str, raw: object, limit: int) -> str | None:
    """A trimmed text, or None for a blank one or a null."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidEnrolment(field_name, "a text")
    refuse_control_characters(field_name, raw)
    value = raw.strip() or None
    refuse_longer_than(field_name, value, limit)
    return value


def clean_middle_name(raw: object) -> str | None:
    """A middle name with its runs of whitespace collapsed; None for a blank one."""
    value = optional_attribute("middle_name", raw, MAX_NAME_LENGTH * 2)
    value = " ".join(value.split()) if value else None
    refuse_longer_than("middle_name", value, MAX_NAME_LENGTH)
    return value


def clean_file_number(raw: object) -> str | None:
    return optional_attribute("file_number", raw, MAX_FILE_NUMBER_LENGTH)


def validate_attributes(
    *,
    middle_name: object = None,
    file_number: object = None,
    tags: Iterable[object] | None = None,
    flags: object = None,
    sections: Iterable[object] | None = None,
) -> Attributes:
    if middle_name is None and file_number is None and not tags and not flags and not sections:
        return NO_ATTRIBUTES  # most rows of most imports: nothing to check
    cleaned = Attributes(
        middle_name=clean_middle_name(middle_name),
        file_number=clean_file_number(file_number),
        tags=clean_tags(tags),
        flags=clean_flags(flags),
        sections=clean_sections(sections),
    )
    return NO_ATTRIBUTES if cleaned == NO_ATTRIBUTES else cleaned


_PHONE_NOISE = re.compile(r"[^0-9+]")
# The same in SQL: the expression an index of phone numbers is built on (migration 0007).
PHONE_DIGITS_SQL = r"regexp_replace(phone, '[^0-9+]', '', 'g')"


def phone_digits(raw: str) -> str:
    """A phone number as it is compared: its digits and a leading +, without the spaces,
    dots, dashes and brackets it was written with."""
    return _PHONE_NOISE.sub("", raw.strip())
