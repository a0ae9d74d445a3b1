"""Each running service keeps the promises of its own OpenAPI document.

schemathesis generates requests from a service's `/openapi.json` (valid ones and invalid
ones, with a fixed seed) and runs every check it has against the answers: no server error,
every status and content type documented, bodies matching their schemas, invalid input
refused, valid input accepted, `Allow` on 405, authentication not ignored. A failure names
the operation and a `curl` line reproducing it.

Run it alone with `make contract-test`.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from onboarding_devtools.testing.stack import RunningStack

from ..conftest import AddTenant

pytestmark = pytest.mark.e2e

KEY = "onb_conformance-test-key-000000000000"
SEED = "20261201"
EXAMPLES = os.environ.get("CONTRACT_TEST_EXAMPLES", "100")
SCHEMATHESIS = Path(sys.executable).with_name("st")
CONFIG = Path(__file__).with_name("schemathesis.toml")


def schemathesis(stack: RunningStack, service: str, headers: dict[str, str], report: Path) -> str:
    """Run schemathesis against one service; its output when any check failed."""
    url = stack.url(service)
    command = [
        str(SCHEMATHESIS),
        "--config-file",
        str(CONFIG),
        "run",
        f"{url}/openapi.json",
        "--checks",
        "all",
        "--seed",
        SEED,
        "--max-examples",
        EXAMPLES,
        "--generation-database",
        "none",
        "--request-timeout",
        "15",
        "--report",
        "junit",
        "--report-dir",
        str(report),
        "--no-color",
        *[arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
    ]
    run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    return "" if run.returncode == 0 else run.stdout[-20000:] + run.stderr[-5000:]


@pytest.mark.parametrize("service", ["enrolment", "invitation", "registration", "notification"])
async def test_the_service_answers_as_its_openapi_document_says(
    stack: RunningStack, add_tenant: AddTenant, service: str, tmp_path: Path
) -> None:
    await add_tenant("conformance", KEY)
    headers = {
        "enrolment": {"Authorization": f"Bearer {KEY}"},
        "invitation": {"X-Internal-Token": stack.config.internal_api_token},
    }.get(service, {})
    failures = schemathesis(stack, service, headers, tmp_path / "schemathesis")
    assert not failures, failures
