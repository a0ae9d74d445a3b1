"""Tokens and accept links: token hashing, the link a person is sent, and its expiry."""

import hashlib
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from invitation.domain.links import DEFAULT_TTL, accept_link, hash_token, link_expiry, new_token
from onboarding_contracts.events import LinkPolicy


def test_default_ttl_is_24_hours() -> None:
    assert timedelta(hours=24) == DEFAULT_TTL


def test_new_token_has_256_bits() -> None:
    token = new_token()
    assert len(token) >= 43  # 32 bytes in base64url
    assert token != new_token()


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


def test_a_link_expires_one_ttl_of_the_tenants_policy_after_it_was_sent() -> None:
    sent_at = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert link_expiry(sent_at, LinkPolicy()) == sent_at + DEFAULT_TTL
    assert link_expiry(sent_at, LinkPolicy(ttl_hours=0.25)) == sent_at + timedelta(minutes=15)
    assert link_expiry(sent_at, LinkPolicy(ttl_hours=720)) == sent_at + timedelta(days=30)
