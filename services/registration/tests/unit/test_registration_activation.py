"""Tenants that activate accounts by hand (seed 003) over the fakes: a registered account
waits, announced as such; an administrator's approval activates it, once."""

from datetime import timedelta

from onboarding_contracts import AccountActivated, ActivationApproved, RegistrationCompleted
from onboarding_contracts.events import ActivationApprovedData, LinkPolicy
from registration.domain.sign_up import SignUpForm
from registration.use_cases.approve_activation import approve_activation
from registration.use_cases.register import SOURCE

FORM = SignUpForm(
    "tok",
    "Ada",
    "Lovelace",
    "correct horse battery",
    username="ada",
    middle_name="Augusta",
    phone="+44 20 7946 0958",
)


def approval(account_id: str, tenant_id: str = "t-1") -> ActivationApproved:
    return ActivationApproved(
        source="/onboarding/enrolment",
        subject="enr-1",
        tenant_id=tenant_id,
        correlation_id="corr-admin",
        data=ActivationApprovedData(enrolment_id="enr-1", account_id=account_id),
    )


def by_hand(fakes) -> None:
    link = fakes.invitations.link
    fakes.invitations.link = link.model_copy(update={"link_policy": LinkPolicy(activation="admin")})


async def test_with_activation_by_hand_the_account_waits_and_says_so(fakes) -> None:
    """Its RegistrationCompleted says so; AccountActivated waits for the approval."""
    by_hand(fakes)
    registered = await fakes.register(FORM)

    assert registered.awaiting_activation
    assert fakes.tx.accounts.status(registered.account_id) == "pending_activation"
    [completed] = fakes.tx.outbox  # no AccountActivated yet
    assert isinstance(completed, RegistrationCompleted)
    assert completed.data.awaiting_activation is True
    assert (completed.data.middle_name, completed.data.phone) == ("Augusta", "+442079460958")


async def test_without_it_the_account_is_active_and_announced_with_its_username(fakes) -> None:
    registered = await fakes.register(FORM)

    assert not registered.awaiting_activation
    completed, activated = fakes.tx.outbox
    assert isinstance(completed, RegistrationCompleted)
    assert isinstance(activated, AccountActivated)
    assert completed.data.awaiting_activation is False
    assert completed.data.phone == "+442079460958"
    assert (activated.data.username, activated.data.first_name) == ("ada", "Ada")
    assert activated.data.invitation_id == fakes.invitations.link.invitation_id


async def test_the_phone_given_wins_over_the_one_on_file(fakes) -> None:
    fakes.invitations.link = fakes.invitations.link.model_copy(update={"phone": "+15555550100"})
    await fakes.register(SignUpForm("tok", "Ada", "Lovelace", "correct horse battery", "ada"))
    completed, _ = fakes.tx.outbox
    assert completed.data.phone is None, "cleared by the person"


async def test_an_approval_activates_the_account_once(fakes) -> None:
    by_hand(fakes)
    registered = await fakes.register(FORM)
    fakes.tx.outbox.clear()
    later = fakes.now + timedelta(days=1)
    approved = approval(registered.account_id)

    await approve_activation(fakes.tx, approved, clock=lambda: later)

    assert fakes.tx.accounts.status(registered.account_id) == "active"
    assert fakes.tx.accounts.completed[registered.account_id].completed_at == later
    [activated] = fakes.tx.outbox
    assert isinstance(activated, AccountActivated)
    assert activated.source == SOURCE
    assert activated.subject == registered.account_id
    assert (activated.correlation_id, activated.causation_id) == ("corr-admin", approved.id)
    assert activated.data.model_dump() == {
        "account_id": registered.account_id,
        "enrolment_id": "enr-1",
        "email": "ada@example.org",
        "username": "ada",
        "first_name": "Ada",
        "invitation_id": fakes.invitations.link.invitation_id,
    }
    again = approval(registered.account_id)  # approved twice: nothing more happens
    await approve_activation(fakes.tx, again, clock=lambda: later)
    assert len(fakes.tx.outbox) == 1


async def test_an_approval_from_another_tenant_or_of_an_active_account_changes_nothing(
    fakes,
) -> None:
    by_hand(fakes)
    waiting = await fakes.register(FORM)
    for stray in (approval(waiting.account_id, "t-2"), approval("acc-unknown")):
        await approve_activation(fakes.tx, stray, clock=lambda: fakes.now)
    assert fakes.tx.accounts.status(waiting.account_id) == "pending_activation"
    assert len(fakes.tx.outbox) == 1, "only the RegistrationCompleted"
