"""A PDF file written object by object as it is made: each object goes to the output at
once and only its byte offset is kept, for the cross-reference table written at the end."""

import zlib
from typing import BinaryIO


class PdfFile:
    """Objects are numbered by `reserve` (so others can refer to one not yet written) and
    written by `write`/`write_stream`; `finish` writes the xref table and trailer."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._position = 0
        self._offsets: dict[int, int] = {}
        self._count = 0
        self._emit(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")

    def reserve(self) -> int:
        self._count += 1
        return self._count

    def write(self, number: int, body: str | bytes) -> None:
        self._offsets[number] = self._position
        data = body.encode("latin-1") if isinstance(body, str) else body
        self._emit(b"%d 0 obj\n%s\nendobj\n" % (number, data))

    def write_stream(
        self, number: int, entries: str, data: bytes, *, compress: bool = True
    ) -> None:
        """A stream object; `entries` are its dictionary's entries but /Length/Filter."""
        if compress:
            data = zlib.compress(data, 6)
            entries += " /Filter /FlateDecode"
        head = f"<< {entries} /Length {len(data)} >>\nstream\n".encode("latin-1")
        self.write(number, head + data + b"\nendstream")

    def finish(self, root: int, info: int) -> None:
        start = self._position
        lines = [f"xref\n0 {self._count + 1}\n", "0000000000 65535 f \n"]
        lines += [f"{self._offsets[n]:010d} 00000 n \n" for n in range(1, self._count + 1)]
        lines.append(
            f"trailer\n<< /Size {self._count + 1} /Root {root} 0 R /Info {info} 0 R >>\n"
            f"startxref\n{start}\n%%EOF\n"
        )
        self._emit("".join(lines).encode("latin-1"))

    def _emit(self, data: bytes) -> None:
        self._out.write(data)
        self._position += len(data)


def pdf_string(text: str) -> str:
    """`text` (Latin-1) as a PDF literal string."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({escaped})"
