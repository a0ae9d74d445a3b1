"""CSV files in and out: an upload spooled and checked before any row is read, and
downloads streamed as they are written."""

import codecs
import io
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from contextlib import contextmanager
from typing import IO, TextIO

from fastapi import Request
from fastapi.responses import StreamingResponse
from onboarding_kit.errors import InvalidField
from starlette.datastructures import UploadFile
from starlette.types import Message

from enrolment.errors import FileTooLarge, InvalidCsv, UnsupportedMediaType

SPOOL_IN_MEMORY_BYTES = 1 << 20  # an upload larger than this is spooled to a temporary file
# A multipart body holds more than the file (boundaries, part headers): this much is allowed
# on top of the file's own limit.
MULTIPART_OVERHEAD_BYTES = 64 * 1024
CSV_BODY_TYPES = ("text/csv", "text/plain", "application/csv")

# The request bodies `POST /v1/imports` accepts, for its OpenAPI operation (the route reads
# the body itself, to stream it).
CSV_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            },
        },
    }
}
TEXT_BODY = {
    "requestBody": {"required": True, "content": {"text/plain": {"schema": {"type": "string"}}}}
}


async def spooled_upload(request: Request, max_bytes: int) -> IO[bytes]:
    """The uploaded file (a CSV body, or a multipart field `file`) in a temporary spool,
    its encoding checked on the way in so that a bad file is refused before any row is
    stored. A file over `max_bytes` is refused (413) as soon as that is known: from its
    `Content-Length`, else while it arrives (a chunked upload is counted too)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data":
        limit = max_bytes + MULTIPART_OVERHEAD_BYTES
    elif content_type in CSV_BODY_TYPES:
        limit = max_bytes
    else:
        raise UnsupportedMediaType(
            "send the file as a text/csv body or a multipart/form-data upload"
        )
    too_large = FileTooLarge(
        f"the file is larger than {_in_words(max_bytes)}: split it into smaller files"
    )
    if _declared_length(request) > limit:
        raise too_large
    body = _counted(request, limit, too_large)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    try:
        if content_type == "multipart/form-data":
            # Starlette spools the parts itself; `body` counts the bytes as they arrive.
            async with body.form(max_files=1) as form:
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    raise InvalidField("file", "send the CSV in a multipart field named `file`")
                await _spool(_read_upload(upload), spool, max_bytes, too_large)
        else:
            await _spool(body.stream(), spool, max_bytes, too_large)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


async def _spool(
    chunks: AsyncIterable[bytes], spool: IO[bytes], max_bytes: int, too_large: FileTooLarge
) -> None:
    utf8 = codecs.getincrementaldecoder("utf-8")()
    written = 0
    try:
        async for chunk in chunks:
            written += len(chunk)
            if written > max_bytes:
                raise too_large
            utf8.decode(chunk)
            spool.write(chunk)
        utf8.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise InvalidCsv("the file is not UTF-8 text") from error


def _declared_length(request: Request) -> int:
    """The body's `Content-Length`, or 0 when it does not say (a chunked upload)."""
    try:
        return int(request.headers.get("content-length", "0"))
    except ValueError:
        return 0


def _counted(request: Request, limit: int, too_large: FileTooLarge) -> Request:
    """The request, its body refused with `too_large` once more than `limit` bytes came."""
    received = 0

    async def receive() -> Message:
        nonlocal received
        message = await request.receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise too_large
        return message

    return Request(request.scope, receive)


def _in_words(size: int) -> str:
    mib, rest = divmod(size, 1 << 20)
    return f"{mib} MiB" if mib and not rest else f"{size} bytes"


async def _read_upload(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 16):
        yield chunk


def lines_at_most(spool: IO[bytes]) -> int:
    """An upper bound on the spooled file's lines (every line break counted, CR and LF
    apart), read at C speed; the spool is rewound."""
    spool.seek(0)
    breaks = 0
    while chunk := spool.read(1 << 20):
        breaks += chunk.count(b"\n") + chunk.count(b"\r")
    spool.seek(0)
    return breaks + 1


@contextmanager
def text_of(spool: IO[bytes]) -> Iterator[TextIO]:
    """The spooled (UTF-8, checked) file from its start as text, line endings kept for the
    csv module; the spool stays open after (for another read)."""
    spool.seek(0)
    text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
    try:
        yield text
    finally:
        text.detach()


def csv_download(content: Iterable[str] | AsyncIterable[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
