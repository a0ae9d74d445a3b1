"""`POST /v1/sms/status`: the SMS provider's status callback (Twilio's shape: a form with
MessageSid, MessageStatus, ErrorCode...), signed with X-Twilio-Signature over this route's
public URL and every form field; a callback whose signature does not match is refused
(403) before anything is read from it."""

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from onboarding_kit.problems import problems
from onboarding_kit.runtime import dependencies_of
from onboarding_kit.twilio_signature import SIGNATURE_HEADER, signature_matches

from notification.bootstrap import NotificationDependencies
from notification.errors import BadSignature
from notification.use_cases.sms_statuses import apply_sms_status

router = APIRouter(prefix="/v1/sms", tags=["notification"])

Sid = Annotated[str, Form(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
Status = Annotated[str, Form(min_length=1, max_length=32, pattern=r"^[a-z_]+$")]
ErrorCode = Annotated[str | None, Form(max_length=16, pattern=r"^[0-9]*$")]

MAX_FORM_FIELDS = 64


@router.post(
    "/status",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(403, 404, 409, 422),
)
async def sms_status(
    request: Request,
    MessageSid: Sid,
    MessageStatus: Status,
    ErrorCode: ErrorCode = None,
) -> Response:
    """Record what the provider says became of a text: `delivered`, `undelivered` or
    `failed` are final (once each); the statuses on the way change nothing. 403 for a
    signature that does not match; 409 for a text whose sending is not recorded yet (the
    provider tries again); 404 for a text this service never sent."""
    deps = dependencies_of(request, NotificationDependencies)
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    url = deps.settings.sms_status_callback_url
    token = deps.settings.sms_auth_token.get_secret_value()
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not (url and token and signature_matches(token, url, fields, signature)):
        raise BadSignature()
    final = await apply_sms_status(
        deps.uow,
        provider_id=MessageSid,
        status=MessageStatus,
        error_code=ErrorCode or None,
        at=deps.clock(),
    )
    if final is not None:
        deps.metrics.notification_outcome("sms", final.value)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
