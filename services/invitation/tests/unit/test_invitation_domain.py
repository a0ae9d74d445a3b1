"""Invitation rules: token hashing, accept links and why a link may be refused."""

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from invitation.domain import (
    DEFAULT_TTL,
    InvitationStatus,
    LinkRefusal,
    accept_link,
    hash_token,
    refusal,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


class TestRefusal:
    def test_pending_and_unexpired_may_be_used(self) -> None:
        assert refusal(InvitationStatus.PENDING, LATER, NOW) is None

    def test_pending_one_microsecond_before_expiry_may_be_used(self) -> None:
        assert refusal(InvitationStatus.PENDING, NOW, NOW - timedelta(microseconds=1)) is None

    def test_accepted_is_used(self) -> None:
        assert refusal(InvitationStatus.ACCEPTED, LATER, NOW) is LinkRefusal.USED

    def test_revoked(self) -> None:
        assert refusal(InvitationStatus.REVOKED, LATER, NOW) is LinkRefusal.REVOKED

    def test_expired_by_status_even_before_its_time(self) -> None:
        assert refusal(InvitationStatus.EXPIRED, LATER, NOW) is LinkRefusal.EXPIRED

    def test_expired_exactly_at_expiry(self) -> None:
        assert refusal(InvitationStatus.PENDING, NOW, NOW) is LinkRefusal.EXPIRED

    def test_expired_after_expiry_though_no_sweeper_ran(self) -> None:
        assert (
            refusal(InvitationStatus.PENDING, NOW, NOW + timedelta(seconds=1))
            is LinkRefusal.EXPIRED
        )

    def test_used_wins_over_expired(self) -> None:
        # An accepted link whose time has since passed still says "already used".
        assert refusal(InvitationStatus.ACCEPTED, NOW, LATER) is LinkRefusal.USED

    def test_revoked_wins_over_expired(self) -> None:
        assert refusal(InvitationStatus.REVOKED, NOW, LATER) is LinkRefusal.REVOKED

    def test_timezones_are_compared_as_instants(self) -> None:
        other_zone = NOW.astimezone(timezone(timedelta(hours=5)))
        assert refusal(InvitationStatus.PENDING, other_zone, NOW) is LinkRefusal.EXPIRED


@pytest.mark.parametrize("reason", list(LinkRefusal))
def test_every_refusal_has_a_distinct_message(reason: LinkRefusal) -> None:
    assert reason.message
    others = {r.message for r in LinkRefusal if r is not reason}
    assert reason.message not in others


def test_default_ttl_is_24_hours() -> None:
    assert timedelta(hours=24) == DEFAULT_TTL


class TestHashToken:
    def test_is_sha256_of_the_utf8_token(self) -> None:
        token = "abc-DEF_123"
        assert hash_token(token) == hashlib.sha256(b"abc-DEF_123").digest()
        assert len(hash_token(token)) == 32

    def test_never_equals_the_token(self) -> None:
        token = "abc-DEF_123"
        digest = hash_token(token)
        assert digest != token.encode()
        assert token.encode() not in digest
        assert digest.hex() != token

    def test_different_tokens_have_different_hashes(self) -> None:
        assert hash_token("a") != hash_token("b")

    def test_is_deterministic(self) -> None:
        assert hash_token("same") == hash_token("same")


class TestAcceptLink:
    def test_points_at_join_with_the_token(self) -> None:
        assert accept_link("https://app.example.org", "tok") == (
            "https://app.example.org/join?token=tok"
        )

    def test_trailing_slash_is_not_doubled(self) -> None:
        assert accept_link("https://app.example.org/signup/", "tok") == (
            "https://app.example.org/signup/join?token=tok"
        )

    def test_token_is_url_encoded(self) -> None:
        token = "a+b/c=d&e f?"
        link = accept_link("https://app.example.org", token)
        query = urlsplit(link).query
        assert query == "token=a%2Bb%2Fc%3Dd%26e+f%3F"
        assert parse_qs(query) == {"token": [token]}
        assert token not in link
