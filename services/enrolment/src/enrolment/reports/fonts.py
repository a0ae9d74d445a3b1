"""The font account reports are printed in: a Unicode TrueType font shipped by the system
(Debian's fonts-dejavu-core) when there is one; otherwise PDF's core Helvetica, which holds
Latin-1 only, so any other character prints as `?`."""

import logging
from dataclasses import dataclass
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),  # Debian, Ubuntu
    Path("/usr/share/fonts/TTF"),  # Arch
    Path("/usr/share/fonts/dejavu-sans-fonts"),  # Fedora
)
REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
CORE_FONT = "helvetica"


@dataclass(frozen=True)
class ReportFont:
    family: str
    regular: Path | None  # None: a core font, Latin-1 only
    bold: Path | None

    @property
    def unicode(self) -> bool:
        return self.regular is not None

    def printable(self, text: str) -> str:
        """`text` as this font can print it."""
        if self.unicode:
            return text
        return text.replace("—", "-").encode("latin-1", "replace").decode("latin-1")


@cache
def report_font() -> ReportFont:
    """DejaVu Sans from the first system directory that has it, else Helvetica (and a
    warning, once)."""
    for directory in _FONT_DIRS:
        regular = directory / REGULAR
        if regular.is_file():
            bold = directory / BOLD
            return ReportFont("dejavu", regular, bold if bold.is_file() else regular)
    logger.warning(
        "no DejaVu Sans font found (install fonts-dejavu-core): account reports are printed "
        "in Helvetica, and characters outside Latin-1 as '?'"
    )
    return ReportFont(CORE_FONT, None, None)
