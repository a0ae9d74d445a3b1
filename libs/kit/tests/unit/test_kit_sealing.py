"""Sealing: AES-256-GCM bound to a context, in a `v2.<kid>.` + base64url envelope, with
keys that rotate."""

import base64

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from onboarding_kit.sealing import Sealer, SealError, new_key

LINK = "https://join.example.org/join?token=abc%2B123"
CONTEXT = "invitation-1"


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
def sealer(key: str) -> Sealer:
    return Sealer(key)


def blob_of(sealed: str) -> bytes:
    assert sealed.startswith("v2.k1.")
    return base64.urlsafe_b64decode(sealed.removeprefix("v2.k1."))


def test_new_key_is_32_random_bytes_in_base64url() -> None:
    key = new_key()
    assert len(base64.urlsafe_b64decode(key)) == 32
    assert new_key() != key


def test_round_trip(sealer: Sealer) -> None:
    sealed = sealer.seal(LINK, context=CONTEXT)
    assert sealer.unseal(sealed, context=CONTEXT) == LINK


def test_round_trip_of_non_ascii_and_empty_text(sealer: Sealer) -> None:
    for text in ["", "Zoë → 日本語 ✓"]:
        assert sealer.unseal(sealer.seal(text, context=CONTEXT), context=CONTEXT) == text


def test_another_sealer_with_the_same_key_unseals(key: str, sealer: Sealer) -> None:
    sealed = sealer.seal(LINK, context=CONTEXT)
    assert Sealer(key).unseal(sealed, context=CONTEXT) == LINK


def test_format_is_prefix_nonce_ciphertext_and_tag(sealer: Sealer) -> None:
    sealed = sealer.seal(LINK, context=CONTEXT)
    blob = blob_of(sealed)
    assert len(blob) == 12 + len(LINK.encode()) + 16
    assert LINK not in sealed
    assert LINK.encode() not in blob
    assert set(sealed.removeprefix("v2.k1.")) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_="
    )


def test_is_standard_aes_gcm_with_the_context_as_associated_data(key: str, sealer: Sealer) -> None:
    blob = blob_of(sealer.seal(LINK, context=CONTEXT))
    aead = AESGCM(base64.urlsafe_b64decode(key))
    assert aead.decrypt(blob[:12], blob[12:], CONTEXT.encode()) == LINK.encode()


def test_a_different_nonce_each_time(sealer: Sealer) -> None:
    sealed = [sealer.seal(LINK, context=CONTEXT) for _ in range(20)]
    assert len(set(sealed)) == 20
    assert len({blob_of(s)[:12] for s in sealed}) == 20


def test_wrong_context_is_refused(sealer: Sealer) -> None:
    sealed = sealer.seal(LINK, context=CONTEXT)
    with pytest.raises(SealError):
        sealer.unseal(sealed, context="invitation-2")


@pytest.mark.parametrize("position", [0, 11, 12, -17, -1])
def test_tampered_bytes_are_refused(sealer: Sealer, position: int) -> None:
    """Nonce (0, 11), ciphertext (12), tag (-17 is the last ciphertext byte, -1 the tag's)."""
    blob = bytearray(blob_of(sealer.seal(LINK, context=CONTEXT)))
    blob[position] ^= 0x01
    tampered = "v2.k1." + base64.urlsafe_b64encode(bytes(blob)).decode()
    with pytest.raises(SealError):
        sealer.unseal(tampered, context=CONTEXT)


def test_truncated_value_is_refused(sealer: Sealer) -> None:
    blob = blob_of(sealer.seal(LINK, context=CONTEXT))
    for cut in (blob[:-1], blob[:20], blob[:12], blob[:5], b""):
        with pytest.raises(SealError):
            sealer.unseal("v2.k1." + base64.urlsafe_b64encode(cut).decode(), context=CONTEXT)


def test_not_base64_is_refused(sealer: Sealer) -> None:
    with pytest.raises(SealError):
        sealer.unseal("v2.k1.abc", context=CONTEXT)  # incorrect padding


def test_wrong_key_is_refused(sealer: Sealer) -> None:
    sealed = sealer.seal(LINK, context=CONTEXT)
    with pytest.raises(SealError):
        Sealer(new_key()).unseal(sealed, context=CONTEXT)


@pytest.mark.parametrize("prefix", ["", "v1.", "V2.k1.", "v2."])
def test_bad_prefix_is_refused(sealer: Sealer, prefix: str) -> None:
    sealed = sealer.seal(LINK, context=CONTEXT)
    with pytest.raises(SealError, match="unknown sealed format"):
        sealer.unseal(prefix + sealed.removeprefix("v2.k1."), context=CONTEXT)


@pytest.mark.parametrize("length", [1, 16, 24, 31, 33, 64])
def test_key_of_the_wrong_length_is_refused(length: int) -> None:
    key = base64.urlsafe_b64encode(bytes(range(length))).decode()
    with pytest.raises(SealError, match="32 bytes"):
        Sealer(key)


def test_key_that_is_not_base64_is_refused() -> None:
    with pytest.raises(SealError):
        Sealer("abc")  # incorrect padding


def test_seal_error_is_a_value_error() -> None:
    assert issubclass(SealError, ValueError)


def test_an_empty_key_ring_is_refused() -> None:
    with pytest.raises(SealError, match="empty"):
        Sealer(" , ")


def test_a_value_names_the_key_that_sealed_it_and_any_key_of_the_ring_opens_it() -> None:
    old, new = new_key(), new_key()
    sealed_before = Sealer(f"2025:{old}").seal(LINK, context=CONTEXT)
    rotated = Sealer(f"2026:{new},2025:{old}")
    sealed_after = rotated.seal(LINK, context=CONTEXT)
    assert sealed_before.startswith("v2.2025.") and sealed_after.startswith("v2.2026.")
    assert rotated.unseal(sealed_before, context=CONTEXT) == LINK
    assert rotated.unseal(sealed_after, context=CONTEXT) == LINK


def test_a_value_sealed_with_a_key_dropped_from_the_ring_is_refused() -> None:
    old, new = new_key(), new_key()
    sealed = Sealer(f"2025:{old}").seal(LINK, context=CONTEXT)
    with pytest.raises(SealError, match="does not hold"):
        Sealer(f"2026:{new}").unseal(sealed, context=CONTEXT)


@pytest.mark.parametrize("ring", ["a:{k},{k}", "a:{k},a:{k}", "bad id!:{k}"])
def test_a_ring_needs_distinct_well_formed_key_ids(ring: str) -> None:
    with pytest.raises(SealError):
        Sealer(ring.format(k=new_key()))
