"""CSV files in and out: an upload spooled and checked before any row is read, and
downloads streamed as they are written."""

import codecs
import io
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import IO

from fastapi import Request
from fastapi.responses import StreamingResponse
from onboarding_kit.errors import InvalidField
from starlette.datastructures import UploadFile

from enrolment.errors import InvalidCsv, UnsupportedMediaType

SPOOL_IN_MEMORY_BYTES = 1 << 20  # an upload larger than this is spooled to a temporary file
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


async def spooled_upload(request: Request) -> IO[bytes]:
    """The uploaded file (a CSV body, or a multipart field `file`) in a temporary spool,
    its encoding checked on the way in so that a bad file is refused before any row is
    stored."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    chunks: AsyncIterable[bytes]
    if content_type == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise InvalidField("file", "send the CSV in a multipart field named `file`")
        chunks = _read_upload(upload)
    elif content_type in CSV_BODY_TYPES:
        chunks = request.stream()
    else:
        raise UnsupportedMediaType(
            "send the file as a text/csv body or a multipart/form-data upload"
        )
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
    utf8 = codecs.getincrementaldecoder("utf-8")()
    try:
        async for chunk in chunks:
            utf8.decode(chunk)
            spool.write(chunk)
        utf8.decode(b"", final=True)
    except UnicodeDecodeError as error:
        spool.close()
        raise InvalidCsv("the file is not UTF-8 text") from error
    spool.seek(0)
    return spool


async def _read_upload(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1 << 16):
        yield chunk


def text_lines(spool: IO[bytes]) -> Iterator[str]:
    """The spooled (UTF-8, checked) file as text lines, line endings kept for the csv
    module."""
    return io.TextIOWrapper(spool, encoding="utf-8", newline="")


def csv_download(content: Iterable[str] | AsyncIterable[str], filename: str) -> StreamingResponse:
    return StreamingResponse(
        content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
