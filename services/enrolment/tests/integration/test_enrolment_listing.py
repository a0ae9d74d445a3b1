"""Listing, paging and exporting enrolments, through the API."""

import base64
import json
from typing import Any

import pytest

from .helpers import EXPORT_HEADER, OTHER, enrol, list_all, parse_csv, post_csv, refused_field

pytestmark = pytest.mark.integration


async def test_listing_filters_enrolments(client) -> None:
    await client.post("/v1/cohorts", json={"course": "ielts", "code": "spring"})
    ada = await enrol(client, "ada@example.org", "Ada Lovelace", external_id="UOL-7")
    bob = await enrol(client, "bob@example.org", "Bob Marley", role="mentor", cohort="spring")
    cy = await enrol(client, "cy@lovelace.org", "Cy Young", external_id="x_1", course="toefl")
    dee = await enrol(client, "dee@example.org", "Dee 100%", role="teacher")
    imported = await post_csv(
        client, "email,id,name\neve@example.org,E-1,Eve Adams\n", course="toefl"
    )
    assert imported.status_code == 201, imported.text
    eve_id = (await list_all(client, import_id=imported.json()["id"]))[0]["id"]
    await client.post(f"/v1/enrolments/{dee['id']}/cancel")
    await client.post(
        "/v1/enrolments",
        json={"email": "ada2@example.org", "name": "Ada Elsewhere", "course": "ielts"},
        headers=OTHER,
    )

    async def ids(**params: Any) -> list[str]:
        return [e["id"] for e in await list_all(client, **params)]

    assert await ids() == [ada["id"], bob["id"], cy["id"], dee["id"], eve_id]
    assert await ids(status="cancelled") == [dee["id"]]
    assert await ids(status="enrolled") == [ada["id"], bob["id"], cy["id"], eve_id]
    assert await ids(role="mentor") == [bob["id"]]
    assert await ids(role="teacher", status="enrolled") == []
    assert await ids(course="toefl") == [cy["id"], eve_id]
    assert await ids(cohort="spring") == [bob["id"]]
    assert await ids(import_id=imported.json()["id"]) == [eve_id]
    assert await ids(course="ielts", role="learner") == [ada["id"]]
    # `q`: any part of the name, email or external id, whatever the case.
    assert await ids(q="LOVELACE") == [ada["id"], cy["id"]]  # a name, an email
    assert await ids(q="uol-") == [ada["id"]]  # an external id
    assert await ids(q="BOB@EXAMPLE") == [bob["id"]]
    assert await ids(q="adams") == [eve_id]
    assert await ids(q="  marley ") == [bob["id"]]
    # LIKE's wildcards are matched as themselves.
    assert await ids(q="%") == [dee["id"]]
    assert await ids(q="x_") == [cy["id"]]
    assert await ids(q="nobody") == []


async def test_walking_the_pages_returns_everyone_once_in_creation_order(client) -> None:
    created = [(await enrol(client, f"p{n:02}@example.org"))["id"] for n in range(10)]
    await client.post(
        "/v1/enrolments",
        json={"email": "theirs@example.org", "name": "T", "course": "ielts"},
        headers=OTHER,
    )
    seen: list[str] = []
    sizes = []
    cursor = None
    for _ in range(10):
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        response = await client.get("/v1/enrolments", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        seen += [e["id"] for e in page["items"]]
        sizes.append(len(page["items"]))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert sizes == [3, 3, 3, 1]

    # A cursor keeps its place under a filter too.
    first = (await client.get("/v1/enrolments", params={"limit": 4, "q": "p0"})).json()
    rest = (
        await client.get(
            "/v1/enrolments", params={"limit": 10, "q": "p0", "cursor": first["next_cursor"]}
        )
    ).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == created
    assert rest["next_cursor"] is None

    for garbage in ("garbage", "!!!", "bm90IGpzb24", base64.urlsafe_b64encode(b"[1, 2]").decode()):
        refused = await client.get("/v1/enrolments", params={"cursor": garbage})
        assert refused.status_code == 422, (garbage, refused.text)
        assert refused_field(refused) == "cursor"
    for limit in (0, 1001):
        assert (await client.get("/v1/enrolments", params={"limit": limit})).status_code == 422


async def test_a_well_formed_cursor_with_no_timestamp_in_it_is_refused(client) -> None:
    forged = base64.urlsafe_b64encode(json.dumps(["yesterday", "x"]).encode()).decode()
    refused = await client.get("/v1/enrolments", params={"cursor": forged})
    assert refused.status_code == 422
    assert refused_field(refused) == "cursor"


async def test_the_export_is_the_same_selection_as_csv_with_formulas_defused(client) -> None:
    names = ['=HYPERLINK("http://x")', "+1", "-1", "@x", "Plain Name"]
    for n, name in enumerate(names):
        await enrol(client, f"p{n}@example.org", name)
    await enrol(client, "t@example.org", "In Toefl", course="toefl", external_id="=1+1")

    response = await client.get("/v1/enrolments.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = parse_csv(response.text)
    assert rows[0] == EXPORT_HEADER
    records = [dict(zip(EXPORT_HEADER, row, strict=True)) for row in rows[1:]]
    assert [r["name"] for r in records] == [
        '\'=HYPERLINK("http://x")',
        "'+1",
        "'-1",
        "'@x",
        "Plain Name",
        "In Toefl",
    ]
    toefl = records[-1]
    assert (toefl["email"], toefl["course"], toefl["external_id"]) == (
        "t@example.org",
        "toefl",
        "'=1+1",
    )
    assert toefl["status"] == "enrolled" and toefl["cohort"] == "" and toefl["created_at"]

    only_toefl = parse_csv((await client.get("/v1/enrolments.csv?course=toefl")).text)
    assert only_toefl[0] == EXPORT_HEADER
    assert [r[1] for r in only_toefl[1:]] == ["t@example.org"]
    by_text = parse_csv((await client.get("/v1/enrolments.csv", params={"q": "PLAIN"})).text)
    assert [r[1] for r in by_text[1:]] == ["p4@example.org"]
    nobody = parse_csv((await client.get("/v1/enrolments.csv", params={"status": "active"})).text)
    assert nobody == [EXPORT_HEADER]
    theirs = parse_csv((await client.get("/v1/enrolments.csv", headers=OTHER)).text)
    assert theirs == [EXPORT_HEADER]
