"""People records and account reports through the four services running as processes:
people imported with the school's tags and flags, filtered by them, one edited, exported;
one registers through their link; the PDF report (of a tag, of the import, and through
`onboard report accounts`) names the people selected and the username the registered person
chose."""

import asyncio
import io
import sys
from pathlib import Path

import httpx
import pytest
from onboarding_devtools.testing import eventually
from onboarding_devtools.testing.stack import RunningStack, hidden_fields
from pypdf import PdfReader

pytestmark = pytest.mark.e2e

TENANT_KEY = "onb_e2e-reports-key-00000000000000000"
PEOPLE = {
    "grace@example.org": "Grace Hopper",
    "eleni@example.org": "Ελένη Παπαδοπούλου",
    "dmitri@example.org": "Дмитрий Иванов",
    "alan@example.org": "Alan Turing",
}
# The school's own record of each: tags (`;`-separated) and a yes/no flag of its own.
TAGS = {
    "grace@example.org": "year-1;navy",
    "eleni@example.org": "year-1",
    "dmitri@example.org": "year-2",
    "alan@example.org": "year-1",
}
INCLUSIVE = {"grace@example.org": "yes", "alan@example.org": "no"}
CSV = "name,email,id,tags,flag:inclusive\n" + "".join(
    f"{name},{email},S{n},{TAGS[email]},{INCLUSIVE.get(email, '')}\n"
    for n, (email, name) in enumerate(PEOPLE.items())
)
YEAR_1 = [e for e, tags in TAGS.items() if "year-1" in tags.split(";")]
USERNAME = "grace_h"
ONBOARD = Path(sys.executable).with_name("onboard")


@pytest.fixture(autouse=True)
async def tenant(add_tenant) -> None:
    await add_tenant("e2e-reports", TENANT_KEY)


async def register(stack: RunningStack, address: str) -> None:
    link = stack.link_for(address)
    async with httpx.AsyncClient(timeout=30) as person:
        form = await person.get(link)
        assert form.status_code == 200, form.text
        done = await person.post(
            f"{stack.url('registration')}/join",
            data={
                **hidden_fields(form.text),
                "first_name": "Grace",
                "last_name": "Hopper",
                "username": USERNAME,
                "password": "correct horse battery staple",
            },
        )
    assert done.status_code == 201, done.text


async def listed(client: httpx.AsyncClient, **filters: str) -> list[dict]:
    answer = await client.get("/v1/enrolments", params={**filters, "limit": 100})
    assert answer.status_code == 200, answer.text
    items: list[dict] = answer.json()["items"]
    return items


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_the_account_report_of_an_import_names_everyone_and_the_chosen_username(
    stack: RunningStack, tmp_path: Path
) -> None:
    async with stack.admin(TENANT_KEY) as client:
        imported = await client.post(
            "/v1/imports",
            params={"course": "ielts"},
            content=CSV,
            headers={"content-type": "text/csv"},
        )
        assert imported.status_code == 201, imported.text
        import_id = imported.json()["id"]
        await eventually(lambda: stack.mail_to("grace@example.org"), timeout_s=60)
        await register(stack, "grace@example.org")

        async def username_known() -> str:
            answer = await client.get("/v1/reports/accounts.csv", params={"import_id": import_id})
            assert answer.status_code == 200, answer.text
            return answer.text if f",{USERNAME}," in answer.text else ""

        csv_text = await eventually(username_known, timeout_s=60)
        assert all(email in csv_text for email in PEOPLE)

        # Filtered by the school's record, edited, exported.
        year_1 = await listed(client, tag="year-1", import_id=import_id)
        assert sorted(e["email"] for e in year_1) == sorted(YEAR_1)
        inclusive = await listed(client, flag="inclusive", import_id=import_id)
        assert [e["email"] for e in inclusive] == ["grace@example.org"]
        (alan,) = [e for e in year_1 if e["email"] == "alan@example.org"]
        edited = await client.patch(
            f"/v1/enrolments/{alan['id']}",
            json={"tags": ["year-2"], "flags": {"inclusive": True}},
        )
        assert edited.status_code == 200, edited.text
        assert (edited.json()["tags"], edited.json()["flags"]) == (["year-2"], {"inclusive": True})
        year_1 = await listed(client, tag="year-1", import_id=import_id)
        assert "alan@example.org" not in {e["email"] for e in year_1}
        exported = await client.get(
            "/v1/enrolments.csv",
            params={"import_id": import_id, "columns": "email,tags,flag:inclusive"},
        )
        assert exported.status_code == 200, exported.text
        rows = exported.text.splitlines()
        assert rows[0] == "email,tags,flag:inclusive"
        assert "alan@example.org,year-2,true" in rows
        assert "grace@example.org,year-1;navy,true" in rows

        by_tag = await client.get("/v1/reports/accounts.pdf", params={"tag": "year-1"})
        assert by_tag.status_code == 200, by_tag.text
        tagged = pdf_text(by_tag.content)
        assert USERNAME in tagged
        assert all(PEOPLE[e["email"]] in tagged for e in year_1)
        assert PEOPLE["alan@example.org"] not in tagged
        assert PEOPLE["dmitri@example.org"] not in tagged

        report = await client.get("/v1/reports/accounts.pdf", params={"import_id": import_id})
        assert report.status_code == 200, report.text
        assert report.headers["content-type"] == "application/pdf"
        text = pdf_text(report.content)
        assert "Account information" in text and f"import {import_id}" in text
        for name in PEOPLE.values():
            assert name in text
        assert USERNAME in text

    target = tmp_path / "ielts.pdf"
    onboard = await asyncio.create_subprocess_exec(
        str(ONBOARD), "report", "accounts", "--course", "ielts", "-o", str(target),
        "--url", stack.url("enrolment"), "--api-key", TENANT_KEY,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, errors = await asyncio.wait_for(onboard.communicate(), timeout=60)
    assert onboard.returncode == 0, errors.decode()
    printed = pdf_text(target.read_bytes())
    assert USERNAME in printed and all(name in printed for name in PEOPLE.values())
