"""Text as people type it: what counts as whitespace, and the cleaning of a name."""

# What `str.split` and `str.strip` take for whitespace (`str.isspace`), as a class's body:
# named outright, not as `\s`, whose meaning differs between Python, Rust and ECMAScript.
WHITESPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Control characters in a name (a NUL, a line break) are taken for spaces: they would end
# up in emails and events, and PostgreSQL's text cannot hold a NUL.
_CONTROLS_AS_SPACES = {c: " " for c in (*range(0x20), *range(0x7F, 0xA0))}


def clean_name(name: str) -> str:
    return " ".join(name.translate(_CONTROLS_AS_SPACES).split())


def first_and_last(name: str) -> tuple[str, str]:
    """A full name as the enrolment holds it, split for a form to start from: the last word
    is the last name, the rest the first name (the person corrects either)."""
    *first, last = clean_name(name).split(" ") or [""]
    return (" ".join(first), last) if first else (last, "")
