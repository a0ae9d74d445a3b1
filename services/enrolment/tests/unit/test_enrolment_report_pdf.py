"""The account report's PDF, read back as text with pypdf: everyone in it in order, a
header on every page, page numbers, names in any script, cells cut to fit."""

import gc
import io
import re
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from enrolment.reports.fonts import CORE_FONT, ReportFont, report_font
from enrolment.reports.pdf import render_pdf
from enrolment.reports.people import ReportKind, ReportPerson
from pypdf import PdfReader

AT = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
NON_LATIN = ("Ελένη Παπαδοπούλου", "Дмитрий Иванов", "Zoë Ångström-Łukasz")


def person(i: int, name: str | None = None, **fields: object) -> ReportPerson:
    values: dict[str, object] = {
        "name": name or f"Person {i:04d}",
        "external_id": f"X-{i:04d}",
        "email": f"p{i}@example.org",
        "username": f"user{i:04d}",
        "status": "active",
        "invited_at": AT,
        "registered_at": AT,
        "activated_at": None,
    }
    values.update(fields)
    return ReportPerson(**values)  # type: ignore[arg-type]


def rendered(people: list[ReportPerson], **options: object) -> list[str]:
    """The text of each page of the report of `people` (in batches of 50)."""
    out = io.BytesIO()
    batches = [people[i : i + 50] for i in range(0, len(people), 50)]
    printed = render_pdf(
        iter(batches),
        out,
        kind=options.pop("kind", ReportKind.INFO),  # type: ignore[arg-type]
        selection="course ielts",
        generated_at=AT,
        **options,  # type: ignore[arg-type]
    )
    assert printed == len(people)
    return [page.extract_text() for page in PdfReader(io.BytesIO(out.getvalue())).pages]


def test_everyone_is_printed_in_order_over_pages_each_with_the_header_and_its_number() -> None:
    people = [person(i, NON_LATIN[i] if i < len(NON_LATIN) else None) for i in range(150)]
    pages = rendered(people)

    assert len(pages) > 3
    for number, text in enumerate(pages, start=1):
        assert "Account information" in text
        assert "course ielts · generated 2026-03-04 05:06 UTC" in text
        for title in ("Name", "External id", "Email", "Username", "Status", "Registered"):
            assert title in text
        # The count is a form XObject drawn by every footer: pypdf reads it on a line
        # of its own.
        assert re.search(rf"Page {number} of\s+{len(pages)}\b", text)
    whole = "\n".join(pages)
    places = [whole.index(p.name) for p in people]
    assert places == sorted(places)  # in the order given
    for p in people:
        assert p.username is not None and p.username in whole
        assert p.external_id in whole and p.email in whole
    assert "2026-03-04" in whole  # dates as UTC days
    # A page break moves whole rows: each person is on exactly one page.
    assert all(sum(p.name in text for text in pages) == 1 for p in people)


def test_names_in_any_script_print_with_the_systems_unicode_font() -> None:
    assert report_font().unicode, "install fonts-dejavu-core: the report needs a Unicode font"
    whole = "\n".join(rendered([person(i, name) for i, name in enumerate(NON_LATIN)]))
    for name in NON_LATIN:
        assert name in whole


def test_without_a_unicode_font_what_latin_1_cannot_hold_prints_as_question_marks() -> None:
    helvetica = ReportFont(CORE_FONT, None, None)
    pages = rendered([person(0, "Дмитрий"), person(1, "Zoë Brontë")], font=helvetica)
    assert "???????" in pages[0] and "Zoë Brontë" in pages[0]


def test_a_credentials_report_prints_username_and_sign_in_address_and_no_dates() -> None:
    url = "https://learn.example.org/sign-in"
    people = [person(0), person(1, username=None, status="invited")]
    [text] = rendered(people, kind=ReportKind.CREDENTIALS, sign_in_url=url)

    assert "Account credentials" in text and "Sign-in address" in text
    assert "user0000" in text and text.count(url) == 3  # subtitle, and each row
    assert "Invited" not in text and text.count("2026-03-04") == 1  # when it was generated
    assert "password" not in text.lower()


def test_a_value_too_long_for_its_cell_is_cut_with_an_ellipsis() -> None:
    long_email = "a-very-long-address-that-no-column-could-hold@departments.example.org"
    [text] = rendered([person(0, email=long_email)])
    assert long_email not in text
    assert "a-very-long-address" in text and "…" in text


def test_an_empty_selection_says_so() -> None:
    out = io.BytesIO()
    assert render_pdf([], out, kind=ReportKind.INFO, selection="cohort none") == 0
    [page] = PdfReader(io.BytesIO(out.getvalue())).pages
    assert "No one matches this selection." in page.extract_text()


def memory_held_after_the_rows(count: int, out: io.BufferedWriter) -> int:
    """The bytes allocated (tracemalloc) while `count` people, made a batch at a time, went
    into the PDF and still held before it is finished: what the writer keeps per person.
    Traced from the first batch to the last (loading and subsetting the font untraced)."""
    held = 0

    def batches() -> Iterator[list[ReportPerson]]:
        nonlocal held
        tracemalloc.start()
        try:
            for start in range(0, count, 100):
                yield [person(i) for i in range(start, min(count, start + 100))]
            gc.collect()
            held = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()

    assert render_pdf(batches(), out, kind=ReportKind.INFO, selection="all") == count
    return held


def test_memory_stays_flat_whatever_the_number_of_people(tmp_path: Path) -> None:
    with (tmp_path / "small.pdf").open("wb") as small, (tmp_path / "large.pdf").open("wb") as large:
        few = memory_held_after_the_rows(100, small)
        many = memory_held_after_the_rows(1_000, large)
    assert many - few < 128 * 1024  # a document held in memory grows ~2 KiB a person
    reader = PdfReader(tmp_path / "large.pdf")
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) > 25
    assert all(re.search(rf"Page {n} of\s+{len(pages)}\b", t) for n, t in enumerate(pages, 1))
    whole = "\n".join(pages)
    assert "Person 0000" in whole and "user0999" in whole and "p999@example.org" in whole
