"""Render the first page of a sample account report (made-up people) to
docs/account-report.png, the picture in the README: `python deploy/local/report_sample.py`
(needs pdftoppm, from Debian's poppler-utils)."""

import shutil
import subprocess
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from enrolment.reports.pdf import render_pdf
from enrolment.reports.people import ReportKind, ReportPerson

OUT = Path(__file__).resolve().parents[2] / "docs" / "account-report.png"
NAMES = [
    ("Ada Lovelace", "ada"),
    ("Grace Hopper", "grace_h"),
    ("Alan Turing", None),
    ("Katherine Johnson", "kjohnson"),
    ("Edsger Dijkstra", None),
    ("Ελένη Παπαδοπούλου", "eleni"),
    ("Margaret Hamilton", "mhamilton"),
    ("Donald Knuth", None),
    ("Барбара Лисков", "bliskov"),
    ("John von Neumann", "jvn"),
    ("Frances Allen", None),
    ("Radia Perlman", "radia"),
]


def people() -> list[ReportPerson]:
    start = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
    found = []
    for n, (name, username) in enumerate(NAMES):
        invited = start + timedelta(minutes=n)
        registered = invited + timedelta(hours=3 + n) if username else None
        found.append(
            ReportPerson(
                name=name,
                external_id=f"S{1001 + n}",
                email=f"s{1001 + n}@school.example",
                username=username,
                status="active" if username else "invited",
                invited_at=invited,
                registered_at=registered,
                activated_at=registered,
            )
        )
    return found


def main() -> None:
    with tempfile.TemporaryDirectory() as work:
        pdf = Path(work) / "report.pdf"
        with pdf.open("wb") as out:
            render_pdf(
                [people()],
                out,
                kind=ReportKind.INFO,
                selection="course ielts",
                generated_at=datetime(2026, 12, 2, 8, 0, tzinfo=UTC),
            )
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm is None:
            raise SystemExit("pdftoppm not found: apt-get install poppler-utils")
        subprocess.run(  # noqa: S603
            [
                pdftoppm,
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(pdf),
                str(OUT.with_suffix("")),
            ],
            check=True,
        )
    print(OUT)


if __name__ == "__main__":
    main()
