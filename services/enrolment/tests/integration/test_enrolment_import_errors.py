"""An import's bad rows, however many: its report answers them a page at a time (totals
complete), its errors download streams every one of them."""

import pytest

from .helpers import parse_csv, post_csv, refused_field

pytestmark = pytest.mark.integration


def bad_file(bad_rows: int) -> str:
    """Two good rows around `bad_rows` rows with an invalid email (lines 3 onwards)."""
    return (
        "email,id,name\n"
        "first@example.org,0,First\n"
        + "".join(f"not-an-email-{n},{n},Bad {n}\n" for n in range(bad_rows))
        + "last@example.org,9,Last\n"
    )


async def test_the_report_answers_a_page_of_errors_and_walks_to_the_rest(client) -> None:
    imported = await post_csv(client, bad_file(250))
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert (report["total_rows"], report["enrolled"], report["failed"]) == (252, 2, 250)
    assert report["status"] == "completed_with_errors"
    assert [e["line"] for e in report["errors"]] == list(range(3, 103))
    assert report["next_errors_after"] == 102
    path = f"/v1/imports/{report['id']}"
    assert (await client.get(path)).json() == report

    lines: list[int] = []
    sizes: list[int] = []
    after = 0
    for _ in range(10):
        page = (await client.get(path, params={"errors_limit": 90, "errors_after": after})).json()
        assert (page["total_rows"], page["failed"]) == (252, 250), "totals stay complete"
        lines += [e["line"] for e in page["errors"]]
        sizes.append(len(page["errors"]))
        if page["next_errors_after"] is None:
            break
        after = page["next_errors_after"]
    assert lines == list(range(3, 253))
    assert sizes == [90, 90, 70]

    everything = (await client.get(path, params={"errors_limit": 1000})).json()
    assert len(everything["errors"]) == 250 and everything["next_errors_after"] is None
    exact = (await client.get(path, params={"errors_limit": 50, "errors_after": 202})).json()
    assert len(exact["errors"]) == 50 and exact["next_errors_after"] is None
    beyond = (await client.get(path, params={"errors_after": 100_000})).json()
    assert (beyond["errors"], beyond["next_errors_after"]) == ([], None)

    for params, field in (
        ({"errors_limit": 0}, "errors_limit"),
        ({"errors_limit": 1001}, "errors_limit"),
        ({"errors_after": -1}, "errors_after"),
        ({"errors_after": 2**31}, "errors_after"),
    ):
        assert refused_field(await client.get(path, params=params)) == field


async def test_a_clean_import_has_no_next_page(client) -> None:
    clean = (await post_csv(client, "email,id,name\na@example.org,1,A\n")).json()
    assert (clean["errors"], clean["next_errors_after"]) == ([], None)


async def test_the_errors_download_streams_every_bad_row_in_line_order(client) -> None:
    imported = await post_csv(client, bad_file(2500))
    assert imported.status_code == 201, imported.text
    report = imported.json()
    assert len(report["errors"]) == 100 and report["failed"] == 2500

    download = await client.get(f"/v1/imports/{report['id']}/errors.csv")
    assert download.status_code == 200
    rows = parse_csv(download.text)
    assert rows[0] == ["line", "column", "reason", "row"]
    assert [int(r[0]) for r in rows[1:]] == list(range(3, 2503))
    column, reason, row = rows[-1][1:]
    assert (column, row) == ("email", "not-an-email-2499,2499,Bad 2499")
    assert reason.startswith("invalid email address")
