"""`POST /v1/registrations` keeps the promises of its OpenAPI document (schemathesis, in
process): a body the schema says is valid is never refused as invalid (422), one it says is
invalid is refused, and every answer is as documented."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from onboarding_contracts.internal.invitations import LinkDetails, LinkRefusal
from registration.app import create_app
from registration.errors import LinkRefused
from registration.settings import RegistrationSettings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    positive_data_acceptance,
    negative_data_rejection,
]


class UnknownLinks:
    """The invitation service, as it answers every link schemathesis makes up."""

    async def inspect(self, token: str) -> LinkDetails:
        raise LinkRefused(LinkRefusal.UNKNOWN, "not valid")

    async def redeem(self, token: str, account_id: str) -> LinkDetails:
        raise LinkRefused(LinkRefusal.UNKNOWN, "not valid")


@asynccontextmanager
async def no_database_nor_broker(_: FastAPI) -> AsyncIterator[None]:
    yield  # an unknown link is refused before either is used


def registration_app() -> FastAPI:
    app = create_app(
        RegistrationSettings(
            database_url="postgresql://unused/unused",
            internal_api_token="t" * 16,
            submissions_per_minute_per_ip=100_000,
            submissions_per_minute_per_link=100_000,
        ),
        invitations=UnknownLinks(),
    )
    app.router.lifespan_context = no_database_nor_broker
    return app


schema = schemathesis.openapi.from_asgi("/openapi.json", registration_app())
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE])


@schema.include(path="/v1/registrations", method="POST").parametrize()
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
def test_registrations_answer_as_documented(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
