"""Account reports against the real database: whom they are for (the tenant's key), whom
they hold (the enrolment list's filters), the usernames RegistrationCompleted brought, the
CSV and the PDF's text; and a 10,000-person PDF rendered while the service keeps answering."""

import asyncio
import gc
import io
import re
import time

import asyncpg
import pytest
from onboarding_devtools.testing import eventually, query
from pypdf import PdfReader

from .helpers import OTHER, enrol, parse_csv, publish, registered

pytestmark = pytest.mark.integration

SIGN_IN = "https://learn.example.org/sign-in"
INFO_HEADER = [
    "name", "external_id", "email", "username", "status", "invited_at", "registered_at",
    "activated_at",
]  # fmt: skip


async def tenant_id(database: str) -> str:
    (tenant,) = await query(database, "SELECT id FROM tenants WHERE name = 'acme'")
    return str(tenant["id"])


async def people(client, database, producer, topics) -> dict[str, dict]:  # type: ignore[no-untyped-def]
    """Ada (registered as `ada`) and Ελένη in ielts cohort a, Bob in cohort b, Cy in toefl."""
    for cohort in ("a", "b"):
        made = await client.post("/v1/cohorts", json={"course": "ielts", "code": cohort})
        assert made.status_code == 201, made.text
    found = {
        "ada": await enrol(client, "ada@example.org", "Ada Lovelace", cohort="a", invite="manual"),
        "eleni": await enrol(
            client, "eleni@example.org", "Ελένη Παπαδοπούλου", cohort="a", invite="manual"
        ),
        "bob": await enrol(client, "bob@example.org", "Bob Stone", cohort="b", invite="manual"),
        "cy": await enrol(client, "cy@example.org", "Cy Young", course="toefl", invite="manual"),
    }
    await publish(
        producer,
        topics,
        registered(found["ada"]["id"], "ada@example.org", await tenant_id(database)),
    )
    await eventually(
        lambda: query(database, "SELECT 1 FROM accounts WHERE username = 'ada'"), timeout_s=30
    )
    return found


async def test_a_report_needs_the_tenant_key_and_holds_only_its_people(
    client, database, producer, topics
) -> None:
    await people(client, database, producer, topics)
    for path in ("/v1/reports/accounts.pdf", "/v1/reports/accounts.csv"):
        refused = await client.get(path, headers={"Authorization": "Bearer onb_nobody"})
        assert refused.status_code == 401
        assert (await client.get(path, params={"kind": "passwords"})).status_code == 422
    other = await client.get("/v1/reports/accounts.csv", headers=OTHER)
    assert other.status_code == 200
    assert parse_csv(other.text) == [INFO_HEADER]  # globex has no one


async def test_the_csv_holds_the_selection_with_usernames_and_dates(
    client, database, producer, topics
) -> None:
    found = await people(client, database, producer, topics)
    answer = await client.get("/v1/reports/accounts.csv", params={"course": "ielts", "cohort": "a"})

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = answer.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="accounts-info-')
    assert disposition.endswith('.csv"')
    header, *rows = parse_csv(answer.text)
    assert header == INFO_HEADER
    by_email = {row[2]: dict(zip(header, row, strict=True)) for row in rows}
    assert set(by_email) == {"ada@example.org", "eleni@example.org"}
    ada = by_email["ada@example.org"]
    assert (ada["name"], ada["username"]) == ("Ada Lovelace", "ada")
    listed = (await client.get(f"/v1/enrolments/{found['ada']['id']}")).json()
    assert ada["status"] == listed["status"]
    assert ada["registered_at"] == listed["registered_at"].replace("Z", "+00:00")
    eleni = by_email["eleni@example.org"]
    assert (eleni["name"], eleni["username"], eleni["status"]) == (
        "Ελένη Παπαδοπούλου", "", "enrolled",
    )  # fmt: skip
    assert eleni["invited_at"] == eleni["registered_at"] == ""
    # The status filter of the list, and the import's.
    active = await client.get(
        "/v1/reports/accounts.csv", params={"status": found["bob"]["status"], "cohort": "b"}
    )
    assert [row[2] for row in parse_csv(active.text)[1:]] == ["bob@example.org"]
    none = await client.get("/v1/reports/accounts.csv", params={"import_id": "no-such-import"})
    assert parse_csv(none.text) == [INFO_HEADER]


async def test_the_credentials_report_needs_the_sign_in_address(
    client, database, producer, topics
) -> None:
    await people(client, database, producer, topics)
    params = {"course": "ielts", "kind": "credentials"}
    unconfigured = await client.get("/v1/reports/accounts.csv", params=params)
    assert unconfigured.status_code == 503
    assert "SIGN_IN_URL" in unconfigured.json()["detail"]


@pytest.mark.parametrize("settings_overrides", [{"sign_in_url": SIGN_IN}])
async def test_the_credentials_csv_gives_username_and_sign_in_address(
    client, database, producer, topics
) -> None:
    await people(client, database, producer, topics)
    params = {"course": "ielts", "kind": "credentials"}
    answer = await client.get("/v1/reports/accounts.csv", params=params)
    header, *rows = parse_csv(answer.text)
    assert header == ["name", "external_id", "email", "username", "sign_in_url"]
    assert sorted((row[2], row[3], row[4]) for row in rows) == [
        ("ada@example.org", "ada", SIGN_IN),
        ("bob@example.org", "", SIGN_IN),
        ("eleni@example.org", "", SIGN_IN),
    ]
    assert "password" not in answer.text.lower() and "accept" not in answer.text.lower()


async def test_the_pdf_prints_the_selection(client, database, producer, topics) -> None:
    await people(client, database, producer, topics)
    answer = await client.get("/v1/reports/accounts.pdf", params={"course": "ielts"})

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert answer.headers["content-disposition"].endswith('.pdf"')
    [page] = PdfReader(io.BytesIO(answer.content)).pages
    text = page.extract_text()
    assert "Account information" in text and "course ielts" in text
    for name in ("Ada Lovelace", "Ελένη Παπαδοπούλου", "Bob Stone"):
        assert name in text
    assert "Cy Young" not in text  # toefl
    assert "ada@example.org" in text and " ada " in f" {text} ".replace("\n", " ")


async def insert_people(database: str, tenant: str, count: int) -> None:
    conn = await asyncpg.connect(database)
    try:
        await conn.execute(
            """INSERT INTO enrolments
                   (id, tenant_id, email, name, external_id, role, course, status,
                    created_at, updated_at)
               SELECT 'bulk-' || lpad(n::text, 5, '0'), $1, 'p' || n || '@example.org',
                      'Person ' || lpad(n::text, 5, '0'), 'X' || n, 'student', 'ielts',
                      'enrolled', now() + n * interval '1 microsecond', now()
               FROM generate_series(1, $2::int) AS n""",
            tenant,
            count,
        )
    finally:
        await conn.close()


async def test_the_service_answers_at_once_while_a_10000_person_pdf_renders(
    client, database
) -> None:
    await insert_people(database, await tenant_id(database), 10_000)
    # The test process holds the objects of every test before this one; a full garbage
    # collection over them (in whichever thread triggers it) stalls everything for far longer
    # than one over a service's own heap would. Frozen, they are left out of collections.
    gc.collect()
    gc.freeze()
    try:
        started = time.monotonic()
        report = asyncio.create_task(
            client.get("/v1/reports/accounts.pdf", params={"course": "ielts"})
        )
        waits: list[float] = []
        while not report.done():
            asked = time.monotonic()
            health = await client.get("/healthz")
            waits.append(time.monotonic() - asked)
            assert health.status_code == 200
            await asyncio.sleep(0.05)
        answer = await report
        took = time.monotonic() - started
    finally:
        gc.unfreeze()

    assert answer.status_code == 200, answer.text
    assert len(waits) >= 5, f"the report took {took:.1f}s"  # asked while it rendered
    assert max(waits) < 0.1, f"slowest /healthz {max(waits) * 1000:.0f} ms"
    pages = PdfReader(io.BytesIO(answer.content)).pages
    assert len(pages) > 200
    assert "Person 00001" in pages[0].extract_text()
    last = pages[-1].extract_text()
    assert "Person 10000" in last
    # The page count is a form XObject: pypdf reads it on a line of its own.
    assert re.search(rf"Page {len(pages)} of\s+{len(pages)}\b", last)
