"""An upload over the service's limits (bytes, rows) is refused whole with 413, before any
of it is stored; a chunked upload, which declares no length, is counted as it arrives."""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from enrolment.api.files import MULTIPART_OVERHEAD_BYTES
from onboarding_devtools.testing import query
from onboarding_kit.problems import PROBLEM_JSON

from .helpers import post_csv

pytestmark = pytest.mark.integration

MAX_BYTES = 4096
MAX_ROWS = 5
HEADER = "email,id,name\n"
BOUNDARY = "limits-test-boundary"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"import_max_bytes": MAX_BYTES, "import_max_rows": MAX_ROWS}


def people(count: int, start: int = 0) -> str:
    return "".join(f"p{n}@example.org,{n},Person {n}\n" for n in range(start, start + count))


def multipart_start() -> bytes:
    return (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="people.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()


async def endless(first: bytes = b"", *, pulled: list[int]) -> AsyncIterator[bytes]:
    """A body that never ends, in chunks of 1 KiB of rows; counts the chunks read."""
    if first:
        yield first
    line = b"x@example.org,1,X\n"
    while True:
        pulled.append(1)
        await asyncio.sleep(0)  # a client on a network: the server gets its turns
        yield line * (1024 // len(line))


async def stored(database: str) -> tuple[int, int]:
    [counts] = await query(
        database,
        "SELECT (SELECT count(*) FROM imports) AS imports, "
        "(SELECT count(*) FROM enrolments) AS enrolments",
    )
    return counts["imports"], counts["enrolments"]


def assert_too_large(response: httpx.Response, *words: str) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == 413 and problem["title"] == "File too large"
    for word in words:
        assert word in problem["detail"], problem["detail"]


async def test_a_body_over_the_size_limit_is_refused_with_413_and_nothing_stored(
    client, database
) -> None:
    too_big = (HEADER + people(200)).encode()
    assert len(too_big) > MAX_BYTES

    as_body = await post_csv(client, too_big)
    assert_too_large(as_body, f"larger than {MAX_BYTES} bytes", "split")
    as_upload = await client.post(
        "/v1/imports", params={"course": "ielts"}, files={"file": ("p.csv", too_big, "text/csv")}
    )
    assert_too_large(as_upload, f"larger than {MAX_BYTES} bytes")
    as_batch = await client.post(
        "/v1/enrolments:batch",
        params={"course": "ielts"},
        content=people(200).encode(),
        headers={"content-type": "text/plain"},
    )
    assert_too_large(as_batch, f"larger than {MAX_BYTES} bytes")
    assert await stored(database) == (0, 0)


async def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    client, database
) -> None:
    async def unreadable() -> AsyncIterator[bytes]:
        raise AssertionError("the body was read")
        yield b""  # pragma: no cover

    for content_type in ("text/csv", f"multipart/form-data; boundary={BOUNDARY}"):
        refused = await client.post(
            "/v1/imports",
            params={"course": "ielts"},
            content=unreadable(),
            headers={"content-type": content_type, "content-length": str(1 << 30)},
        )
        assert_too_large(refused, f"larger than {MAX_BYTES} bytes")
    assert await stored(database) == (0, 0)


@pytest.mark.parametrize("as_multipart", [False, True], ids=["csv body", "multipart"])
async def test_a_chunked_upload_is_counted_as_it_arrives_and_stopped_past_the_limit(
    client, database, as_multipart: bool
) -> None:
    pulled: list[int] = []
    if as_multipart:
        body = endless(multipart_start() + HEADER.encode(), pulled=pulled)
        content_type = f"multipart/form-data; boundary={BOUNDARY}"
    else:
        body = endless(HEADER.encode(), pulled=pulled)
        content_type = "text/csv"
    async with asyncio.timeout(20):  # without a limit, the upload would never end
        refused = await client.post(
            "/v1/imports",
            params={"course": "ielts"},
            content=body,
            headers={"content-type": content_type},
        )
    assert "content-length" not in refused.request.headers
    assert_too_large(refused, f"larger than {MAX_BYTES} bytes")
    # Reading stopped at the limit (a multipart body may carry a little more than its file).
    allowed = MAX_BYTES + (MULTIPART_OVERHEAD_BYTES if as_multipart else 0)
    assert len(pulled) <= allowed // 1024 + 1
    assert await stored(database) == (0, 0)


async def test_a_file_at_the_size_limit_is_imported_as_a_body_or_an_upload(client) -> None:
    rows = HEADER + people(MAX_ROWS)
    at_limit = (rows + "\n" * (MAX_BYTES - len(rows))).encode()
    assert len(at_limit) == MAX_BYTES
    as_body = await post_csv(client, at_limit)
    assert as_body.status_code == 201, as_body.text
    assert (as_body.json()["enrolled"], as_body.json()["failed"]) == (MAX_ROWS, 0)
    # A multipart body is larger than the file it carries: the file is what is measured.
    as_upload = await client.post(
        "/v1/imports", params={"course": "toefl"}, files={"file": ("p.csv", at_limit, "text/csv")}
    )
    assert as_upload.status_code == 201, as_upload.text
    assert as_upload.json()["enrolled"] == MAX_ROWS


async def test_a_file_over_the_row_limit_is_refused_whole_before_any_row_is_stored(
    client, database
) -> None:
    over = await post_csv(client, HEADER + people(MAX_ROWS + 1))
    assert_too_large(over, f"more than {MAX_ROWS} rows", "split")
    over_batch = await client.post(
        "/v1/enrolments:batch",
        params={"course": "ielts"},
        content=people(MAX_ROWS + 1).encode(),
        headers={"content-type": "text/plain"},
    )
    assert_too_large(over_batch, f"more than {MAX_ROWS} rows")
    # Bad rows are rows too.
    assert_too_large(await post_csv(client, HEADER + people(MAX_ROWS) + "bad,1,B\n"))
    assert await stored(database) == (0, 0)


async def test_blank_lines_are_not_rows_and_a_value_over_several_lines_is_one(client) -> None:
    rows = people(MAX_ROWS - 1) + '"last@example.org",9,"Last\nPerson"\n'
    at_limit = await post_csv(client, HEADER + "\n\n" + rows + ",,\n\n")
    assert at_limit.status_code == 201, at_limit.text
    assert (at_limit.json()["enrolled"], at_limit.json()["failed"]) == (MAX_ROWS, 0)
    batch = await client.post(
        "/v1/enrolments:batch",
        params={"course": "toefl"},
        content=people(MAX_ROWS).encode(),
        headers={"content-type": "text/plain"},
    )
    assert batch.status_code == 201, batch.text
    assert batch.json()["enrolled"] == MAX_ROWS
