"""Account reports through the four services running as processes: people imported, one
registers through their link, and the PDF report of the import (through the API, and
`onboard report accounts`) names everyone and the username the registered person chose."""

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
CSV = "name,email,id\n" + "".join(
    f"{name},{email},S{n}\n" for n, (email, name) in enumerate(PEOPLE.items())
)
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
