"""The school's record of a person (seed 003) through the API: kept on enrolment, by CSV
and manual batch, shown, filtered, exported (the columns chosen) and changed."""

from typing import Any

import httpx
import pytest
from onboarding_devtools.testing import query

from .helpers import EXPORT_HEADER, enrol, list_all, parse_csv, post_csv, refused_field

pytestmark = pytest.mark.integration

RECORD = {
    "middle_name": "  Maria   Luisa ",
    "file_number": " F-001 ",
    "tags": ["gifted", " music ", "gifted", ""],
    "flags": {"inclusive": True, "individual": False},
    "sections": ["chess", "choir"],
}


async def test_an_enrolment_keeps_the_record_normalised(client: httpx.AsyncClient) -> None:
    created = await enrol(client, "ada@example.org", "Ada", **RECORD)
    expected = {
        "middle_name": "Maria Luisa",
        "file_number": "F-001",
        "tags": ["gifted", "music"],
        "flags": {"inclusive": True, "individual": False},
        "sections": ["chess", "choir"],
    }
    assert {k: created[k] for k in expected} == expected
    read = (await client.get(f"/v1/enrolments/{created['id']}")).json()
    assert {k: read[k] for k in expected} == expected
    [listed] = await list_all(client)
    assert {k: listed[k] for k in expected} == expected

    plain = await enrol(client, "bob@example.org")
    assert {k: plain[k] for k in expected} == {
        "middle_name": None,
        "file_number": None,
        "tags": [],
        "flags": {},
        "sections": [],
    }


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"flags": {"Inclusive": True}}, "flags"),
        ({"flags": {"inclusive": "yes"}}, "flags"),
        ({"flags": {"inclusive": 1}}, "flags"),
        ({"tags": ["a;b"]}, "tags"),
        ({"tags": ["x" * 65]}, "tags"),
        ({"sections": [f"s{n}" for n in range(51)]}, "sections"),
        ({"file_number": "x" * 101}, "file_number"),
        ({"middle_name": "a\x01"}, "middle_name"),
    ],
)
async def test_a_bad_record_is_a_problem_naming_the_field(
    client: httpx.AsyncClient, record: dict[str, Any], field: str
) -> None:
    response = await client.post(
        "/v1/enrolments",
        json={"email": "ada@example.org", "name": "Ada", "course": "ielts", **record},
    )
    assert refused_field(response).startswith(field)
    assert await list_all(client) == []


async def test_the_list_is_filtered_by_the_record(client: httpx.AsyncClient) -> None:
    ada = await enrol(
        client,
        "ada@example.org",
        tags=["gifted", "music"],
        flags={"inclusive": True},
        sections=["chess"],
        file_number="F-1",
        phone="+44 (20) 7946-0958",
    )
    bob = await enrol(
        client,
        "bob@example.org",
        tags=["music"],
        flags={"inclusive": False, "individual": True},
        sections=["chess", "choir"],
        file_number="F-2",
    )
    cy = await enrol(
        client, "cy@example.org", course="toefl", tags=["music"], phone="+442079460958"
    )
    dee = await enrol(client, "dee@example.org")

    async def ids(**params: Any) -> list[str]:
        return [e["id"] for e in await list_all(client, **params)]

    assert await ids(tag="music") == [ada["id"], bob["id"], cy["id"]]
    assert await ids(tag=["music", "gifted"]) == [ada["id"]]  # every tag given
    assert await ids(tag="nobody") == []
    assert await ids(flag="inclusive") == [ada["id"]]
    assert await ids(flag="inclusive:true") == [ada["id"]]
    # Not set true: false, or never set.
    assert await ids(flag="inclusive:false") == [bob["id"], cy["id"], dee["id"]]
    assert await ids(flag=["individual", "inclusive:false"]) == [bob["id"]]
    assert await ids(section="chess") == [ada["id"], bob["id"]]
    assert await ids(section=["chess", "choir"]) == [bob["id"]]
    assert await ids(file_number=" F-2 ") == [bob["id"]]
    assert await ids(file_number="F") == []  # the whole number
    # A phone number by its digits, however it was written either side.
    assert await ids(phone="+44 20 7946 0958") == [ada["id"], cy["id"]]
    assert await ids(phone="+44.20.7946.0958", course="toefl") == [cy["id"]]
    assert await ids(phone="2079460958") == []
    # With today's filters.
    assert await ids(tag="music", course="ielts", status="enrolled") == [ada["id"], bob["id"]]
    assert await ids(tag="music", q="bob") == [bob["id"]]

    # Cursor paging keeps the filter on every page.
    first = (await client.get("/v1/enrolments", params={"tag": "music", "limit": 2})).json()
    assert [e["id"] for e in first["items"]] == [ada["id"], bob["id"]]
    second = await client.get(
        "/v1/enrolments", params={"tag": "music", "limit": 2, "cursor": first["next_cursor"]}
    )
    assert [e["id"] for e in second.json()["items"]] == [cy["id"]]
    assert second.json()["next_cursor"] is None

    assert refused_field(await client.get("/v1/enrolments", params={"flag": "Bad"})) == "flag"
    bad_value = await client.get("/v1/enrolments", params={"flag": "inclusive:maybe"})
    assert refused_field(bad_value) == "flag"
    assert refused_field(await client.get("/v1/enrolments", params={"tag": "a;b"})) == "tag"


async def test_a_csv_import_reads_the_record_columns(client: httpx.AsyncClient) -> None:
    imported = await post_csv(
        client,
        "email,id,name,middle_name,file_number,tags,sections,flag:inclusive,flag:individual\n"
        "ann@example.org,S-1,Ann,Jo,F-1,gifted;music,chess,yes,no\n"
        "bob@example.org,S-2,Bob,,,,,,\n"
        "cy@example.org,S-3,Cy,,,,,maybe,\n"
        "dee@example.org,S-4,Dee,,,,,1,FALSE\n",
    )
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["total_rows"], report["enrolled"], report["failed"]) == (4, 3, 1)
    [error] = report["errors"]
    assert (error["line"], error["field"]) == (4, "flag:inclusive")
    assert "'maybe'" in error["reason"]
    errors_csv = parse_csv((await client.get(f"/v1/imports/{report['id']}/errors.csv")).text)
    assert errors_csv[1][:2] == ["4", "flag:inclusive"]

    people = {e["email"]: e for e in await list_all(client)}
    assert set(people) == {"ann@example.org", "bob@example.org", "dee@example.org"}
    ann = people["ann@example.org"]
    assert (ann["middle_name"], ann["file_number"], ann["tags"], ann["sections"]) == (
        "Jo",
        "F-1",
        ["gifted", "music"],
        ["chess"],
    )
    assert ann["flags"] == {"inclusive": True, "individual": False}
    bob = people["bob@example.org"]
    assert (bob["middle_name"], bob["tags"], bob["flags"]) == (None, [], {})
    assert people["dee@example.org"]["flags"] == {"inclusive": True, "individual": False}


async def test_a_csv_without_the_columns_imports_as_before(
    client: httpx.AsyncClient, database: str
) -> None:
    imported = await post_csv(client, "email,id,name,phone\nann@example.org,S-1,Ann,+1 555\n")
    assert imported.status_code == 201, imported.text
    assert imported.json()["enrolled"] == 1
    [row] = await query(
        database,
        "SELECT middle_name, file_number, tags, flags::text, sections FROM enrolments",
    )
    assert dict(row) == {
        "middle_name": None,
        "file_number": None,
        "tags": [],
        "flags": "{}",
        "sections": [],
    }


async def test_a_bad_flag_column_refuses_the_file(client: httpx.AsyncClient) -> None:
    refused = await post_csv(client, "email,id,name,flag:Is-Inclusive\nann@example.org,S,Ann,1\n")
    assert refused.status_code == 422
    assert "flag:is-inclusive" in refused.json()["detail"]
    assert await list_all(client) == []


async def test_a_manual_batch_takes_the_columns_named(client: httpx.AsyncClient) -> None:
    batch = await client.post(
        "/v1/enrolments:batch",
        params={"course": "ielts", "columns": "email,id,name,tags,flag:inclusive"},
        content=b"ann@example.org,S-1,Ann,a;b,yes\nbob@example.org,S-2,Bob,,perhaps\n",
        headers={"content-type": "text/plain"},
    )
    assert batch.status_code == 201, batch.text
    assert (batch.json()["enrolled"], batch.json()["failed"]) == (1, 1)
    assert [(e["line"], e["field"]) for e in batch.json()["errors"]] == [(2, "flag:inclusive")]
    [ann] = await list_all(client)
    assert (ann["tags"], ann["flags"]) == (["a", "b"], {"inclusive": True})

    plain = await client.post(
        "/v1/enrolments:batch",
        params={"course": "ielts"},
        content=b"cy@example.org,S-3,Cy\n",
        headers={"content-type": "text/plain"},
    )
    assert plain.status_code == 201 and plain.json()["enrolled"] == 1

    unknown = await client.post(
        "/v1/enrolments:batch",
        params={"course": "ielts", "columns": "email,id,name,shoe_size"},
        content=b"dee@example.org,S-4,Dee,42\n",
        headers={"content-type": "text/plain"},
    )
    assert refused_field(unknown) == "columns"
    assert "shoe_size" in unknown.json()["errors"][0]["reason"]


async def test_the_export_writes_the_record_and_re_imports(client: httpx.AsyncClient) -> None:
    ada = await enrol(client, "ada@example.org", "Ada", **RECORD)
    await enrol(client, "bob@example.org", "Bob", tags=["music"])
    rows = parse_csv((await client.get("/v1/enrolments.csv")).text)
    assert rows[0] == [*EXPORT_HEADER, "flag:inclusive", "flag:individual"]
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert records[0]["id"] == ada["id"]
    assert {k: records[0][k] for k in RECORD if k != "flags"} == {
        "middle_name": "Maria Luisa",
        "file_number": "F-001",
        "tags": "gifted;music",
        "sections": "chess;choir",
    }
    assert (records[0]["flag:inclusive"], records[0]["flag:individual"]) == ("true", "false")
    assert (records[1]["tags"], records[1]["flag:inclusive"]) == ("music", "")

    # The export's columns are the import's: it enrols the same people, with their record.
    chosen = (
        "email,external_id,name,middle_name,file_number,tags,sections,"
        "flag:inclusive,flag:individual"
    )
    exported = (await client.get("/v1/enrolments.csv", params={"columns": chosen})).text
    reimport = await post_csv(client, exported.replace("external_id", "id", 1), course="toefl")
    assert reimport.status_code == 201, reimport.text
    assert reimport.json()["enrolled"] == 2
    again = {e["email"]: e for e in await list_all(client, course="toefl")}
    original = {e["email"]: e for e in await list_all(client, course="ielts")}
    fields = ("middle_name", "file_number", "tags", "flags", "sections", "name", "external_id")
    for email, person in original.items():
        assert {f: again[email][f] for f in fields} == {f: person[f] for f in fields}


async def test_the_export_columns_are_chosen_and_ordered(client: httpx.AsyncClient) -> None:
    await enrol(client, "ada@example.org", "Ada", **RECORD)
    response = await client.get(
        "/v1/enrolments.csv", params={"columns": "flag:individual,email,tags,flag:absent"}
    )
    assert response.status_code == 200, response.text
    assert parse_csv(response.text) == [
        ["flag:individual", "email", "tags", "flag:absent"],
        ["false", "ada@example.org", "gifted;music", ""],
    ]
    filtered = await client.get(
        "/v1/enrolments.csv", params={"columns": "email", "flag": "inclusive:false"}
    )
    assert parse_csv(filtered.text) == [["email"]]

    unknown = await client.get("/v1/enrolments.csv", params={"columns": "email,shoe_size"})
    assert refused_field(unknown) == "columns"
    assert "'shoe_size'" in unknown.json()["errors"][0]["reason"]
    bad_flag = await client.get("/v1/enrolments.csv", params={"columns": "flag:Bad"})
    assert refused_field(bad_flag) == "flag:Bad"


async def test_the_record_is_changed_by_patch(client: httpx.AsyncClient) -> None:
    person = await enrol(client, "ada@example.org", "Ada", **RECORD)
    url = f"/v1/enrolments/{person['id']}"

    changed = await client.patch(
        url,
        json={
            "middle_name": " Jo ",
            "file_number": "F-9",
            "tags": ["new", "new", " other"],
            "flags": {"individual": None, "inclusive": False, "boarding": True},
            "sections": [],
        },
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert (body["middle_name"], body["file_number"]) == ("Jo", "F-9")
    assert (body["tags"], body["sections"]) == (["new", "other"], [])
    # Merged: a flag given is set, a null one removed, the others kept.
    assert body["flags"] == {"inclusive": False, "boarding": True}
    kept = await client.patch(url, json={"flags": {"sporty": True}})
    assert kept.json()["flags"] == {"inclusive": False, "boarding": True, "sporty": True}
    assert kept.json()["tags"] == ["new", "other"]  # left out: kept

    cleared = await client.patch(url, json={"middle_name": None, "file_number": None, "tags": None})
    assert (cleared.json()["middle_name"], cleared.json()["file_number"]) == (None, None)
    assert cleared.json()["tags"] == []
    assert (await client.get(url)).json()["flags"] == {
        "inclusive": False,
        "boarding": True,
        "sporty": True,
    }

    assert refused_field(await client.patch(url, json={"flags": {"Bad": True}})).startswith("flags")
    assert refused_field(await client.patch(url, json={"tags": ["a;b"]})).startswith("tags")
    assert refused_field(await client.patch(url, json={"flags": None})) == "flags"
    assert refused_field(await client.patch(url, json={"email": "x@example.org", "tags": []})) == (
        "email"
    )
    assert (await client.get(url)).json()["tags"] == []


async def test_flags_merged_past_the_bound_are_refused_and_nothing_changes(
    client: httpx.AsyncClient,
) -> None:
    person = await enrol(client, "ada@example.org", flags={f"f{n}": True for n in range(30)})
    url = f"/v1/enrolments/{person['id']}"
    more = {f"g{n}": False for n in range(21)}  # 51 once merged
    assert refused_field(await client.patch(url, json={"flags": more, "tags": ["x"]})) == "flags"
    kept = (await client.get(url)).json()
    assert (len(kept["flags"]), kept["tags"]) == (30, [])
    fewer = {**{f"g{n}": False for n in range(21)}, **{f"f{n}": None for n in range(5)}}
    assert len((await client.patch(url, json={"flags": fewer})).json()["flags"]) == 46
