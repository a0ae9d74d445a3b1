"""CSV imports and manual batches, their reports and bad rows, through the API."""

import csv
import io

import pytest

from .helpers import OTHER, list_all, parse_csv, post_csv

pytestmark = pytest.mark.integration


async def test_the_template_imports_cleanly_as_a_multipart_upload_or_a_csv_body(client) -> None:
    template = await client.get("/v1/imports/template.csv", headers={"Authorization": ""})
    assert template.status_code == 200
    assert template.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(template.text)))
    assert list(rows[0]) == ["email", "id", "name"] and len(rows) >= 1
    emails = sorted(r["email"] for r in rows)

    uploaded = await client.post(
        "/v1/imports",
        params={"course": "ielts"},
        files={"file": ("people.csv", template.content, "text/csv")},
    )
    assert uploaded.status_code == 201, uploaded.text
    report = uploaded.json()
    assert (report["status"], report["total_rows"], report["enrolled"], report["failed"]) == (
        "completed",
        len(rows),
        len(rows),
        0,
    )
    assert report["errors"] == [] and report["course"] == "ielts"
    people = await list_all(client, import_id=report["id"])
    assert sorted(p["email"] for p in people) == emails
    assert {(p["external_id"], p["name"]) for p in people} == {(r["id"], r["name"]) for r in rows}

    as_body = await post_csv(client, template.text, course="toefl")
    assert as_body.status_code == 201
    assert {k: as_body.json()[k] for k in ("status", "enrolled", "failed")} == {
        k: report[k] for k in ("status", "enrolled", "failed")
    }
    # Uploading the same file again: everyone is already enrolled.
    again = await client.post(
        "/v1/imports",
        params={"course": "ielts"},
        files={"file": ("people.csv", template.content, "text/csv")},
    )
    assert again.status_code == 201
    assert (again.json()["status"], again.json()["enrolled"]) == ("failed", 0)
    assert {e["field"] for e in again.json()["errors"]} == {"email"}

    no_file = await client.post(
        "/v1/imports", params={"course": "ielts"}, files={"other": ("x.csv", b"x", "text/csv")}
    )
    assert no_file.status_code == 422


async def test_an_imports_errors_download_lists_each_bad_row(client) -> None:
    body = (
        "email,id,name,role\n"
        "ok@example.org,1,Okay,learner\n"
        "=cmd|' /C calc'!A0,2,Evil,learner\n"
        "nameless@example.org,3,,learner\n"
        "role@example.org,4,Role,wizard\n"
        "ok2@example.org,5,Okay Two,mentor\n"
    )
    imported = await post_csv(client, body)
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["enrolled"], report["failed"]) == (2, 3)

    response = await client.get(f"/v1/imports/{report['id']}/errors.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert report["id"] in response.headers["content-disposition"]
    rows = parse_csv(response.text)
    assert rows[0] == ["line", "column", "reason", "row"]
    assert [(r[0], r[1]) for r in rows[1:]] == [("3", "email"), ("4", "name"), ("5", "role")]
    assert rows[1][3] == "'=cmd|' /C calc'!A0,2,Evil,learner"
    assert rows[2][3] == "nameless@example.org,3,,learner"
    assert "wizard" in rows[3][2] and rows[3][3] == "role@example.org,4,Role,wizard"
    assert all(r[2] for r in rows[1:]), "every row says why"

    clean = await post_csv(client, "email,id,name\nclean@example.org,1,Clean\n")
    assert parse_csv((await client.get(f"/v1/imports/{clean.json()['id']}/errors.csv")).text) == [
        ["line", "column", "reason", "row"]
    ]
    for path in (f"/v1/imports/{report['id']}", f"/v1/imports/{report['id']}/errors.csv"):
        assert (await client.get(path, headers=OTHER)).status_code == 404, path
    assert (await client.get("/v1/imports/nope")).status_code == 404
    assert (await client.get("/v1/imports/nope/errors.csv")).status_code == 404


async def test_manual_entry_numbers_lines_from_the_first(client) -> None:
    await client.post("/v1/cohorts", json={"course": "ielts", "code": "spring"})
    lines = (
        "not-an-email,X-1,Xavier\n"
        "ann@example.org,A-1,Ann Smith\n"
        "\n"
        "bob@example.org,B-1,\n"
        "ANN@example.org,A-2,Ann Again\n"
        "cy@example.org,,Cy\n"
    )
    response = await client.post(
        "/v1/enrolments:batch",
        params={"course": "ielts", "cohort": "spring"},
        content=lines.encode(),
        headers={"content-type": "text/plain"},
    )
    assert response.status_code == 201, response.text
    report = response.json()
    assert [(e["line"], e["field"]) for e in report["errors"]] == [
        (1, "email"),
        (4, "name"),
        (5, "email"),
    ]
    assert "first on line 2" in report["errors"][2]["reason"]
    assert report["errors"][0]["raw"] == "not-an-email,X-1,Xavier"
    assert (report["enrolled"], report["failed"], report["status"]) == (
        2,
        3,
        "completed_with_errors",
    )
    people = await list_all(client, import_id=report["id"])
    assert [(p["email"], p["external_id"], p["cohort"]) for p in people] in (
        [("ann@example.org", "A-1", "spring"), ("cy@example.org", "Cy", "spring")],
        [("cy@example.org", "Cy", "spring"), ("ann@example.org", "A-1", "spring")],
    )
    missing_course = await client.post(
        "/v1/enrolments:batch",
        content=b"a@example.org,1,A\n",
        headers={"content-type": "text/plain"},
    )
    assert missing_course.status_code == 422
