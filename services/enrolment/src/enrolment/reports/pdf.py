"""An account report as a PDF: a landscape A4 table, one row per person, its header row
repeated on every page under the report's title, and "Page n of m" at the foot."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import BinaryIO

from fpdf import FPDF

from enrolment.reports.fonts import ReportFont, report_font
from enrolment.reports.people import (
    COLUMNS,
    TITLES,
    Column,
    ReportKind,
    ReportPerson,
    shown,
    values_of,
)

ROW_HEIGHT_MM = 6.0
HEADER_HEIGHT_MM = 7.0
BASELINE_MM = 4.2  # from the top of a row
BODY_SIZE_PT = 8
ELLIPSIS = "…"
# Replaced by the page count once the document is written; wider than any count, so the
# footer keeps room for it.
PAGE_COUNT = "{page_count}"


class AccountsPdf(FPDF):
    """The document: `header` and `footer` are called by fpdf2 on every page."""

    def __init__(
        self,
        font: ReportFont,
        title: str,
        subtitle: str,
        columns: tuple[Column, ...],
    ) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.report_font = font
        self.report_title = title
        self.report_subtitle = subtitle
        self.columns = columns
        self.set_margins(10, 10, 10)
        self.set_auto_page_break(auto=True, margin=14)
        if font.regular is not None and font.bold is not None:
            self.add_font(font.family, "", str(font.regular))
            self.add_font(font.family, "B", str(font.bold))
        self.alias_nb_pages(PAGE_COUNT)
        self.set_title(title)
        self.set_creator("Onboarding: enrolment")

    def header(self) -> None:
        font = self.report_font
        self.set_font(font.family, "B", 13)
        self.cell(0, 7, font.printable(self.report_title), new_x="LMARGIN", new_y="NEXT")
        self.set_font(font.family, "", 8)
        self.set_text_color(90)
        self.cell(0, 5, font.printable(self.report_subtitle), new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.ln(2)
        self.set_font(font.family, "B", BODY_SIZE_PT)
        self.set_fill_color(225)
        self.set_draw_color(0)
        for column in self.columns:
            self.cell(column.width_mm, HEADER_HEIGHT_MM, column.title, border="B", fill=True)
        self.ln(HEADER_HEIGHT_MM)
        self.set_font(font.family, "", BODY_SIZE_PT)
        self.set_draw_color(200)

    def footer(self) -> None:
        self.set_y(-10)
        self.set_font(self.report_font.family, "", 7)
        self.set_text_color(90)
        self.cell(0, 5, f"Page {self.page_no()} of {PAGE_COUNT}", align="R")
        self.set_text_color(0)

    def row(self, cells: Sequence[object]) -> None:
        """One person's row, on the next page when it would not fit on this one. Written
        with `text` rather than `cell`: a tenth of the time, for thousands of rows."""
        if self.will_page_break(ROW_HEIGHT_MM):
            self.add_page()
        top, x = self.y, self.l_margin
        for column, value in zip(self.columns, cells, strict=True):
            text = self.fitted(self.report_font.printable(shown(value)), column.width_mm)
            self.text(x + self.c_margin, top + BASELINE_MM, text)
            x += column.width_mm
        bottom = top + ROW_HEIGHT_MM
        self.line(self.l_margin, bottom, x, bottom)
        self.set_y(bottom)

    def fitted(self, text: str, width_mm: float) -> str:
        """`text` cut (with an ellipsis) to fit a cell `width_mm` wide."""
        room = width_mm - 2 * self.c_margin
        if self._width(text) <= room:
            return text
        ellipsis = ELLIPSIS if self.report_font.unicode else "..."
        low, high = 0, len(text)
        while low < high:  # the longest prefix that fits with the ellipsis
            middle = (low + high + 1) // 2
            if self._width(text[:middle] + ellipsis) <= room:
                low = middle
            else:
                high = middle - 1
        return text[:low] + ellipsis

    def _width(self, text: str) -> float:
        return self.get_string_width(text, normalized=True, markdown=False)


def render_pdf(
    batches: Iterable[Sequence[ReportPerson]],
    out: BinaryIO,
    *,
    kind: ReportKind,
    selection: str,
    sign_in_url: str | None = None,
    generated_at: datetime | None = None,
    font: ReportFont | None = None,
) -> int:
    """Write the report of the people `batches` yield, in their order, to `out`; return
    how many it holds. `selection` says whom it is about (its subtitle)."""
    font = font or report_font()
    at = (generated_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    subtitle = f"{selection} · generated {at}"
    if kind is ReportKind.CREDENTIALS and sign_in_url:
        subtitle += f" · sign in at {sign_in_url} with the username shown"
    pdf = AccountsPdf(font, TITLES[kind], subtitle, COLUMNS[kind])
    pdf.add_page()
    printed = 0
    for batch in batches:
        for person in batch:
            pdf.row(values_of(person, pdf.columns, sign_in_url))
        printed += len(batch)
    if not printed:
        pdf.cell(0, 10, "No one matches this selection.")
    out.write(pdf.output())
    return printed
