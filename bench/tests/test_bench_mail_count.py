"""The bench's count of accepted mail, for both sinks, and Postfix's smtp-sink end to end."""

from pathlib import Path

import aiosmtplib

from bench.infra import COUNTER_FILE, count_mail, last_count, smtp_sink
from bench.settings import parse_settings


def test_last_count_is_the_last_complete_record(tmp_path: Path) -> None:
    counter = tmp_path / COUNTER_FILE
    records = "".join(f"sess={n // 7} quit=0 mesg={n}\r" for n in range(1, 5001))
    counter.write_bytes((records + "sess=714 quit=0 mesg=50").encode())  # last one half-written
    assert last_count(counter) == 5000


def test_last_count_of_an_empty_counter_is_zero(tmp_path: Path) -> None:
    counter = tmp_path / COUNTER_FILE
    counter.write_bytes(b"")
    assert last_count(counter) == 0


def test_count_mail_reads_the_counter_when_smtp_sink_runs_there(tmp_path: Path) -> None:
    (tmp_path / COUNTER_FILE).write_bytes(b"sess=0 quit=0 mesg=3\r")
    (tmp_path / "stray.eml").write_bytes(b"")
    assert count_mail(tmp_path) == 3


def test_count_mail_counts_the_aiosmtpd_sinks_files(tmp_path: Path) -> None:
    for name in ("a.eml", "b.eml", ".c.eml.tmp"):
        (tmp_path / name).write_bytes(b"")
    assert count_mail(tmp_path) == 2
    assert count_mail(tmp_path / "missing") == 0


async def test_smtp_sink_counts_every_message_it_accepts() -> None:
    settings = parse_settings(["--rows", "1"])
    assert settings.smtp == "smtp-sink"
    async with smtp_sink(settings, "test") as sink:
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=sink.port, start_tls=False)
        await client.connect()
        await client.ehlo()
        assert "pipelining" in client.esmtp_extensions
        for n in range(25):
            body = f"Subject: {n}\r\n\r\nBonjour, é\r\n".encode()
            await client.sendmail("a@example.org", [f"p{n}@example.org"], body)
        await client.quit()
        assert count_mail(sink.directory) == 25
