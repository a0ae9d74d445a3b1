"""The report's fonts as the PDF writer uses them: text measured and encoded as the page
is drawn, and the font objects written at the end, when the glyphs used are known.

A TrueType font (DejaVu Sans) is embedded as a Type0/CIDFontType2 font with Identity-H:
text is shown as 2-byte glyph ids, widths and the text of the glyphs used are written at
the end, and the font program is embedded whole. Without it, PDF's core Helvetica with
WinAnsiEncoding."""

import zlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from fontTools.ttLib import TTFont

from enrolment.reports.pdf_objects import PdfFile, pdf_string


class PdfFont(Protocol):
    def width(self, text: str, size_pt: float) -> float:
        """How wide `text` prints at `size_pt`, in points."""
        ...

    def shown(self, text: str) -> str:
        """`text` as a PDF string operand of `Tj`."""
        ...

    def write(self, pdf: PdfFile, number: int) -> None:
        """Write the font as object `number` (and the objects it needs)."""
        ...


class TrueTypeFont:
    def __init__(self, path: Path, name: str) -> None:
        self._path = path
        self._name = name
        metrics = _metrics_of(path)
        self._cmap = metrics.cmap
        self._glyph_ids = metrics.glyph_ids
        self._advance = metrics.advance
        self._bbox = metrics.bbox
        self._ascent, self._descent = metrics.ascent, metrics.descent
        self._glyphs: dict[str, tuple[int, int]] = {}  # char: (glyph id, width)
        self._used: dict[int, tuple[str, int]] = {}  # glyph id: (char, width)

    def _glyph(self, char: str) -> tuple[int, int]:
        known = self._glyphs.get(char)
        if known is None:
            name = self._cmap.get(ord(char), ".notdef")
            known = self._glyphs[char] = (self._glyph_ids[name], self._advance[name])
            self._used.setdefault(known[0], (char, known[1]))
        return known

    def width(self, text: str, size_pt: float) -> float:
        return sum(self._glyph(c)[1] for c in text) * size_pt / 1000

    def shown(self, text: str) -> str:
        return "<" + "".join(f"{self._glyph(c)[0]:04x}" for c in text) + ">"

    def write(self, pdf: PdfFile, number: int) -> None:
        cid, descriptor, program, to_unicode = (pdf.reserve() for _ in range(4))
        base = self._name
        pdf.write(
            number,
            f"<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H "
            f"/DescendantFonts [{cid} 0 R] /ToUnicode {to_unicode} 0 R >>",
        )
        used = sorted(self._used.items())
        widths = " ".join(f"{gid} [{width}]" for gid, (_, width) in used)
        pdf.write(
            cid,
            f"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} "
            "/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
            f"/FontDescriptor {descriptor} 0 R /DW 600 /W [{widths}] /CIDToGIDMap /Identity >>",
        )
        bbox = " ".join(map(str, self._bbox))
        pdf.write(
            descriptor,
            f"<< /Type /FontDescriptor /FontName /{base} /Flags 32 /FontBBox [{bbox}] "
            f"/ItalicAngle 0 /Ascent {self._ascent} /Descent {self._descent} "
            f"/CapHeight {self._ascent} /StemV 80 /FontFile2 {program} 0 R >>",
        )
        length, compressed = _font_program(self._path)
        pdf.write_stream(
            program, f"/Length1 {length} /Filter /FlateDecode", compressed, compress=False
        )
        pdf.write_stream(to_unicode, "", _to_unicode_cmap(used))


@dataclass(frozen=True)
class _Metrics:
    """What text is measured and encoded with, in thousandths of the font size."""

    cmap: dict[int, str]  # code point: glyph name
    glyph_ids: dict[str, int]
    advance: dict[str, int]  # glyph name: width
    bbox: list[int]
    ascent: int
    descent: int


@cache
def _metrics_of(path: Path) -> _Metrics:
    """The font's metrics, read once per process (not again for every report)."""
    font = TTFont(path, lazy=True)
    scale = 1000 / font["head"].unitsPerEm
    head, hhea = font["head"], font["hhea"]
    return _Metrics(
        cmap=font.getBestCmap(),
        glyph_ids={glyph: gid for gid, glyph in enumerate(font.getGlyphOrder())},
        advance={g: round(w * scale) for g, (w, _) in font["hmtx"].metrics.items()},
        bbox=[round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
        ascent=round(hhea.ascent * scale),
        descent=round(hhea.descent * scale),
    )


@cache
def _font_program(path: Path) -> tuple[int, bytes]:
    """The whole font file (its length, and its bytes Flate-compressed), read and compressed
    once per process. Embedded whole rather than subset per report: subsetting holds the
    GIL for tens of milliseconds at a time (slower under load), which would stall the event
    loop the report is rendered beside; the whole font adds ~0.4 MiB to a report."""
    data = path.read_bytes()
    return len(data), zlib.compress(data, 6)


def _to_unicode_cmap(used: list[tuple[int, tuple[str, int]]]) -> bytes:
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for start in range(0, len(used), 100):  # at most 100 entries a block
        block = used[start : start + 100]
        lines.append(f"{len(block)} beginbfchar")
        for gid, (char, _) in block:
            utf16 = char.encode("utf-16-be").hex()
            lines.append(f"<{gid:04x}> <{utf16}>")
        lines.append("endbfchar")
    lines += ["endcmap CMapName currentdict /CMap defineresource pop end end"]
    return "\n".join(lines).encode("ascii")


class CoreFont:
    """A PDF core font (Helvetica), Latin-1 text in WinAnsiEncoding."""

    def __init__(self, name: str, metrics: str) -> None:
        # Imported here: fpdf2 takes ~2 s to import, for a table only this fallback reads.
        from fpdf.fonts import CORE_FONTS_CHARWIDTHS

        self._name = name
        self._widths: dict[str, int] = CORE_FONTS_CHARWIDTHS[metrics]

    def width(self, text: str, size_pt: float) -> float:
        return sum(self._widths.get(c, 500) for c in text) * size_pt / 1000

    def shown(self, text: str) -> str:
        return pdf_string(text.encode("cp1252", "replace").decode("latin-1"))

    def write(self, pdf: PdfFile, number: int) -> None:
        pdf.write(
            number,
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{self._name} /Encoding /WinAnsiEncoding >>",
        )
