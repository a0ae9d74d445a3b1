"""The SMTP adapter against a server that wants TLS and a login, as real mail servers do:
STARTTLS on a plain port, TLS from the first byte, and a refused login. A certificate made
for the test, trusted through `ca_file` (SMTP_CA_FILE)."""

import asyncio
import datetime
import ipaddress
import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from notification.channels.email.smtp import SmtpPool
from notification.domain.mime import OutgoingEmail
from notification.errors import DeliveryUnavailable

MESSAGE = OutgoingEmail(
    "no-reply@onboarding.local", "ann@example.org", b"Subject: hi\r\n\r\nHi\r\n"
)
USER, PASSWORD = "onboarding", "s3cret-pass"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, and its key."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class Received:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.original_content or envelope.content)
        return "250 OK"


def _authenticate(
    server: Any, session: Any, envelope: Any, mechanism: str, data: Any
) -> AuthResult:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


async def _server(
    port: int, certificate: tuple[Path, Path], *, implicit: bool
) -> tuple[Controller, Received]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    received = Received()
    # An implicit TLS server is TLS from the start: aiosmtpd's check of STARTTLS before
    # AUTH does not apply to it.
    options: dict[str, Any] = {
        "authenticator": _authenticate,
        "auth_required": True,
        "auth_require_tls": not implicit,
    }
    if implicit:
        controller = Controller(
            received, hostname="127.0.0.1", port=port, ssl_context=context, **options
        )
    else:
        controller = Controller(
            received,
            hostname="127.0.0.1",
            port=port,
            tls_context=context,
            require_starttls=True,
            **options,
        )
    await asyncio.to_thread(controller.start)
    return controller, received


@pytest.fixture
async def stop_after() -> AsyncIterator[list[Controller]]:
    controllers: list[Controller] = []
    yield controllers
    for controller in controllers:
        await asyncio.to_thread(controller.stop)


# aiosmtpd warns of AUTH without STARTTLS: the implicit TLS server is TLS from the start.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
@pytest.mark.parametrize("tls", ["starttls", "tls"])
async def test_a_message_goes_over_tls_with_a_login(
    unused_port: int, certificate, stop_after, tls: str
) -> None:
    controller, received = await _server(unused_port, certificate, implicit=tls == "tls")
    stop_after.append(controller)
    pool = SmtpPool(
        "127.0.0.1",
        unused_port,
        size=1,
        timeout_s=5,
        tls=tls,  # type: ignore[arg-type]
        username=USER,
        password=PASSWORD,
        ca_file=str(certificate[0]),
    )
    try:
        await pool.send(MESSAGE)
        await pool.send(MESSAGE)
    finally:
        await pool.close()
    assert received.messages == [MESSAGE.data, MESSAGE.data]


async def test_a_refused_login_stops_every_message_not_one(
    unused_port: int, certificate, stop_after
) -> None:
    controller, received = await _server(unused_port, certificate, implicit=False)
    stop_after.append(controller)
    pool = SmtpPool(
        "127.0.0.1",
        unused_port,
        size=1,
        timeout_s=5,
        tls="starttls",
        username=USER,
        password="wrong",
        ca_file=str(certificate[0]),
    )
    try:
        with pytest.raises(DeliveryUnavailable, match="login refused"):
            await pool.send(MESSAGE)
    finally:
        await pool.close()
    assert received.messages == []


async def test_a_server_that_requires_tls_refuses_a_plain_sender(
    unused_port: int, certificate, stop_after
) -> None:
    controller, received = await _server(unused_port, certificate, implicit=False)
    stop_after.append(controller)
    pool = SmtpPool("127.0.0.1", unused_port, size=1, timeout_s=5)
    try:
        with pytest.raises(DeliveryUnavailable, match="530"):
            await pool.send(MESSAGE)
    finally:
        await pool.close()
    assert received.messages == []
