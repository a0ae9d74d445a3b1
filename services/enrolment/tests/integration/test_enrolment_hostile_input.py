"""Hostile input costs its own request or row and nothing else: a megabyte in a field is
refused naming the field while events keep flowing, a NUL byte or an enormous line costs
its own row of a CSV, a file without newlines is refused whole."""

import pytest
from onboarding_kit.problems import PROBLEM_JSON

from .helpers import enrol, enrolment_events, list_all, of_type, parse_csv, post_csv, refused_field

pytestmark = pytest.mark.integration

MEGABYTE = 1_000_000


@pytest.mark.parametrize(("field", "value"), [("external_id", "x"), ("phone", "1")])
async def test_a_megabyte_in_a_field_is_refused_naming_it_and_events_keep_flowing(
    client, kafka, topics, field: str, value: str
) -> None:
    body = {"email": "big@example.org", "name": "Big", "course": "ielts", field: value * MEGABYTE}
    refused = await client.post("/v1/enrolments", json=body)
    assert refused_field(refused) == field
    assert len(refused.content) < 2000, "the answer does not echo the value"
    assert await list_all(client) == []

    after = await enrol(client, "after@example.org", "After")
    events = await enrolment_events(
        kafka,
        topics,
        until=lambda es: any(e["subject"] == after["id"] for e in of_type(es, "created")),
    )
    [created] = of_type(events, "created")
    assert created["data"]["email"] == "after@example.org"


async def test_a_csv_with_a_nul_byte_in_a_row_imports_every_other_row(client) -> None:
    body = (
        "email,id,name\n"
        "ann@example.org,1,Ann\n"
        "bob@example.org,2,B\x00b\n"  # line 3: a NUL in the name
        "cy@example.org,3,Cy\n"
        "dee@example.org,4\x00,Dee\n"  # line 5: a NUL in the id
        "eve@example.org,5,Eve\n"
    )
    imported = await post_csv(client, body.encode())
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["status"], report["total_rows"], report["enrolled"], report["failed"]) == (
        "completed_with_errors",
        5,
        3,
        2,
    )
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(3, "name"), (5, "external_id")]
    assert all("control character" in e["reason"] for e in report["errors"])
    assert report["errors"][0]["raw"] == "bob@example.org,2,B\ufffdb"
    people = await list_all(client, import_id=report["id"])
    assert sorted(p["email"] for p in people) == [
        "ann@example.org",
        "cy@example.org",
        "eve@example.org",
    ]
    download = parse_csv((await client.get(f"/v1/imports/{report['id']}/errors.csv")).text)
    assert [row[:2] for row in download[1:]] == [["3", "name"], ["5", "external_id"]]


async def test_a_file_without_newlines_is_refused_whole(client) -> None:
    refused = await post_csv(client, "email,id,name" + ",x" * MEGABYTE)
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"] == PROBLEM_JSON
    assert "header row cannot be read: longer than 65536 characters" in refused.json()["detail"]
    assert await list_all(client) == []


async def test_an_enormous_line_or_value_is_its_rows_error_and_the_rest_is_imported(
    client,
) -> None:
    body = (
        "email,id,name\n"
        "ann@example.org,1,Ann\n"
        f"bob@example.org,{'9' * MEGABYTE},Bob\n"  # line 3
        f'cy@example.org,3,"{"C" * MEGABYTE}"\n'  # line 4: one enormous quoted value
        "dee@example.org,4,Dee\n"
    )
    imported = await post_csv(client, body)
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["enrolled"], report["failed"]) == (2, 2)
    assert [(e["line"], e["field"]) for e in report["errors"]] == [(3, None), (4, None)]
    assert all("longer than 65536 characters" in e["reason"] for e in report["errors"])
    assert report["errors"][0]["raw"].startswith("bob@example.org,999")
    people = await list_all(client, import_id=report["id"])
    assert sorted(p["email"] for p in people) == ["ann@example.org", "dee@example.org"]
