"""An account report as a PDF: a landscape A4 table, one row per person, its header row
repeated on every page under the report's title, and "Page n of m" at the foot.

Each page goes to the output as soon as it is full, so memory stays flat however many
people the report holds: the page count, unknown until the end, is a form XObject every
footer draws and that is written last."""

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import BinaryIO

from enrolment.reports.fonts import ReportFont, report_font
from enrolment.reports.pdf_font import CoreFont, PdfFont, TrueTypeFont
from enrolment.reports.pdf_objects import PdfFile, pdf_string
from enrolment.reports.people import (
    COLUMNS,
    TITLES,
    Column,
    ReportKind,
    ReportPerson,
    shown,
    values_of,
)

PT_PER_MM = 72 / 25.4
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 297.0, 210.0
MARGIN_MM = 10.0
CELL_MARGIN_MM = 1.0
BODY_TOP_MM = 31.0  # under the title, subtitle and header row
BODY_BOTTOM_MM = 196.0
ROW_HEIGHT_MM = 6.0
BASELINE_MM = 4.2  # from the top of a row
BODY_SIZE_PT = 8
FOOTER_SIZE_PT = 7
ELLIPSIS = "…"
PAGE_COUNT_ROOM = "99999"  # the footer keeps room for a count this wide
GREY_TEXT, GREY_FILL, GREY_RULE = "0.353", "0.882", "0.784"


def _pt(mm: float) -> str:
    return f"{mm * PT_PER_MM:.2f}"


def _y(mm: float) -> str:  # PDF's y grows upwards from the bottom of the page
    return _pt(PAGE_HEIGHT_MM - mm)


class AccountsPdf:
    """The document, written to `out` a page at a time."""

    def __init__(
        self,
        out: BinaryIO,
        font: ReportFont,
        title: str,
        subtitle: str,
        columns: tuple[Column, ...],
    ) -> None:
        self.file = PdfFile(out)
        self.report_font = font
        self.title, self.subtitle, self.columns = title, subtitle, columns
        self.regular: PdfFont
        self.bold: PdfFont
        if font.regular is not None and font.bold is not None:
            self.regular = TrueTypeFont(font.regular, "DejaVuSans")
            self.bold = TrueTypeFont(font.bold, "DejaVuSans-Bold")
        else:
            self.regular = CoreFont("Helvetica", "helvetica")
            self.bold = CoreFont("Helvetica-Bold", "helveticaB")
        self.catalog, self.pages, self.resources, self.page_count = (
            self.file.reserve() for _ in range(4)
        )
        self.fonts = (self.file.reserve(), self.file.reserve())
        self.kids: list[int] = []
        self.ops: list[str] = []
        self.y = BODY_TOP_MM
        self._start_page()

    def row(self, cells: Sequence[object]) -> None:
        """One person's row, on the next page when it would not fit on this one."""
        if self.y + ROW_HEIGHT_MM > BODY_BOTTOM_MM:
            self._end_page()
            self._start_page()
        x = MARGIN_MM
        baseline = self.y + BASELINE_MM
        for column, value in zip(self.columns, cells, strict=True):
            text = self.fitted(self.report_font.printable(shown(value)), column.width_mm)
            self._text("F1", BODY_SIZE_PT, x + CELL_MARGIN_MM, baseline, self.regular, text)
            x += column.width_mm
        bottom = self.y + ROW_HEIGHT_MM
        self.ops.append(f"{_pt(MARGIN_MM)} {_y(bottom)} m {_pt(x)} {_y(bottom)} l S")
        self.y = bottom

    def note(self, text: str) -> None:
        """A line of text where the next row would be."""
        self._text(
            "F1", BODY_SIZE_PT, MARGIN_MM + CELL_MARGIN_MM, self.y + 5.85, self.regular, text
        )

    def fitted(self, text: str, width_mm: float) -> str:
        """`text` cut (with an ellipsis) to fit a cell `width_mm` wide."""
        room = (width_mm - 2 * CELL_MARGIN_MM) * PT_PER_MM
        if self.regular.width(text, BODY_SIZE_PT) <= room:
            return text
        ellipsis = ELLIPSIS if self.report_font.unicode else "..."
        low, high = 0, len(text)
        while low < high:  # the longest prefix that fits with the ellipsis
            middle = (low + high + 1) // 2
            if self.regular.width(text[:middle] + ellipsis, BODY_SIZE_PT) <= room:
                low = middle
            else:
                high = middle - 1
        return text[:low] + ellipsis

    def finish(self) -> None:
        self._end_page()
        file = self.file
        regular, bold = self.fonts
        count = self.report_font.printable(str(len(self.kids)))
        form = f"BT /F1 {FOOTER_SIZE_PT} Tf 0 0 Td {self.regular.shown(count)} Tj ET"
        file.write_stream(
            self.page_count,
            f"/Type /XObject /Subtype /Form /BBox [0 0 100 20] /Resources {self.resources} 0 R",
            form.encode("latin-1"),
        )
        file.write(
            self.resources,
            f"<< /Font << /F1 {regular} 0 R /F2 {bold} 0 R >> "
            f"/XObject << /N {self.page_count} 0 R >> >>",
        )
        self.regular.write(file, regular)
        self.bold.write(file, bold)
        kids = " ".join(f"{kid} 0 R" for kid in self.kids)
        file.write(self.pages, f"<< /Type /Pages /Kids [{kids}] /Count {len(self.kids)} >>")
        file.write(self.catalog, f"<< /Type /Catalog /Pages {self.pages} 0 R >>")
        info = file.reserve()
        title = pdf_string(self.report_font.printable(self.title))
        file.write(info, f"<< /Title {title} /Creator (Onboarding: enrolment) >>")
        file.finish(self.catalog, info)

    def _start_page(self) -> None:
        """The title, subtitle and header row."""
        self.ops = ["0.57 w"]
        printable = self.report_font.printable
        self._text("F2", 13, MARGIN_MM + CELL_MARGIN_MM, 14.88, self.bold, printable(self.title))
        self.ops.append(f"{GREY_TEXT} g")
        subtitle = printable(self.subtitle)
        self._text("F1", 8, MARGIN_MM + CELL_MARGIN_MM, 20.35, self.regular, subtitle)
        width = sum(column.width_mm for column in self.columns)
        self.ops.append(
            f"{GREY_FILL} g {_pt(MARGIN_MM)} {_y(31)} {_pt(width)} {_pt(7)} re f 0 g "
            f"0 G {_pt(MARGIN_MM)} {_y(31)} m {_pt(MARGIN_MM + width)} {_y(31)} l S"
        )
        x = MARGIN_MM
        for column in self.columns:
            self._text("F2", BODY_SIZE_PT, x + CELL_MARGIN_MM, 28.35, self.bold, column.title)
            x += column.width_mm
        self.ops.append(f"{GREY_RULE} G")
        self.y = BODY_TOP_MM

    def _end_page(self) -> None:
        """The footer, then the page to the output."""
        number = len(self.kids) + 1
        prefix = f"Page {number} of "
        font = self.regular
        room = font.width(prefix + PAGE_COUNT_ROOM, FOOTER_SIZE_PT) / PT_PER_MM
        x = PAGE_WIDTH_MM - MARGIN_MM - CELL_MARGIN_MM - room
        self.ops.append(f"{GREY_TEXT} g")
        self._text("F1", FOOTER_SIZE_PT, x, 203.24, font, prefix)
        after = x * PT_PER_MM + font.width(prefix, FOOTER_SIZE_PT)
        self.ops.append(f"q 1 0 0 1 {after:.2f} {_y(203.24)} cm /N Do Q 0 g")
        file = self.file
        page, contents = file.reserve(), file.reserve()
        file.write_stream(contents, "", "\n".join(self.ops).encode("latin-1"))
        file.write(
            page,
            f"<< /Type /Page /Parent {self.pages} 0 R /MediaBox [0 0 841.89 595.28] "
            f"/Resources {self.resources} 0 R /Contents {contents} 0 R >>",
        )
        self.kids.append(page)
        self.ops = []

    def _text(
        self, name: str, size: float, x_mm: float, y_mm: float, font: PdfFont, text: str
    ) -> None:
        self.ops.append(f"BT /{name} {size} Tf {_pt(x_mm)} {_y(y_mm)} Td {font.shown(text)} Tj ET")


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
    """Write the report of the people `batches` yield, in their order, to `out` as it
    goes (a page at a time); return how many it holds. `selection` says whom it is about
    (its subtitle)."""
    font = font or report_font()
    at = (generated_at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    subtitle = f"{selection} · generated {at}"
    if kind is ReportKind.CREDENTIALS and sign_in_url:
        subtitle += f" · sign in at {sign_in_url} with the username shown"
    pdf = AccountsPdf(out, font, TITLES[kind], subtitle, COLUMNS[kind])
    printed = 0
    for batch in batches:
        for person in batch:
            pdf.row(values_of(person, pdf.columns, sign_in_url))
        printed += len(batch)
    if not printed:
        pdf.note("No one matches this selection.")
    pdf.finish()
    return printed
