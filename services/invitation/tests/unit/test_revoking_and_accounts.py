"""Reactions that change an existing invitation: cancellation, and the account registered."""

from datetime import UTC, datetime

import pytest
from invitation.domain.statuses import InvitationStatus
from invitation.errors import LinkRefused
from invitation.use_cases import SOURCE
from invitation.use_cases.accounts import record_account
from invitation.use_cases.redeeming import inspect_invitation
from invitation.use_cases.revoking import revoke_invitation
from onboarding_contracts import (
    EnrolmentCancelled,
    InvitationRevoked,
    Origin,
    RegistrationCompleted,
)
from onboarding_contracts.events import EnrolmentCancelledData, RegistrationCompletedData
from onboarding_contracts.internal.invitations import LinkRefusal

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def at_now() -> datetime:
    return NOW


async def test_cancelling_revokes_the_pending_invitation_once(tx, uow) -> None:
    tx.invitations.add("tok")
    cancelled = EnrolmentCancelled.new(
        Origin("/test", "tenant-1", "corr-3"),
        EnrolmentCancelledData(enrolment_id="enr-1", email="ann@example.org", course="x"),
    )
    await revoke_invitation(tx, cancelled, at_now)
    await revoke_invitation(tx, cancelled, at_now)
    assert tx.invitations.invitations["inv-1"].status is InvitationStatus.REVOKED
    [revoked] = tx.outbox
    assert isinstance(revoked, InvitationRevoked)
    assert (revoked.source, revoked.subject) == (SOURCE, "inv-1")
    assert (revoked.correlation_id, revoked.causation_id) == ("corr-3", cancelled.id)
    assert revoked.data.enrolment_id == "enr-1"
    assert revoked.data.revoked_at == NOW
    with pytest.raises(LinkRefused) as refused:
        await inspect_invitation(uow, at_now, "tok")
    assert refused.value.reason is LinkRefusal.REVOKED


async def test_cancelling_revokes_an_expired_invitation_too(tx, uow) -> None:
    # Else a resend or a reminder could still bring a cancelled enrolment a new link.
    tx.invitations.add("tok", status=InvitationStatus.EXPIRED)
    cancelled = EnrolmentCancelled.new(
        Origin("/test", "tenant-1", "corr-3"),
        EnrolmentCancelledData(enrolment_id="enr-1", email="ann@example.org", course="x"),
    )
    await revoke_invitation(tx, cancelled, at_now)
    assert tx.invitations.invitations["inv-1"].status is InvitationStatus.REVOKED
    assert [type(e) for e in tx.outbox] == [InvitationRevoked]


async def test_cancelling_an_enrolment_never_invited_changes_nothing(tx) -> None:
    cancelled = EnrolmentCancelled.new(
        Origin("/test", "tenant-1", "corr-3"),
        EnrolmentCancelledData(enrolment_id="enr-9", email="bo@example.org", course="x"),
    )
    await revoke_invitation(tx, cancelled, at_now)
    assert tx.outbox == []


async def test_a_completed_registration_records_its_account_at_the_clocks_time(tx) -> None:
    invitation = tx.invitations.add("tok")
    completed = RegistrationCompleted.new(
        Origin("/onboarding/registration", invitation.tenant_id, invitation.correlation_id),
        RegistrationCompletedData(
            account_id="acc-1",
            invitation_id=invitation.id,
            enrolment_id=invitation.enrolment_id,
            email=invitation.email,
            username="ann",
            first_name="Ann",
            last_name="Lee",
        ),
    )
    await record_account(tx, completed, at_now)
    assert tx.invitations.accounts == {invitation.id: ("acc-1", NOW)}
    assert tx.outbox == []
