"""Debian's Chromium, driven by Playwright, for the browser tests; and the screenshots each
test keeps of its steps.

Chromium is Debian's (`deploy/local/chromium.sh` installs it; `make test` runs that): it is
launched by path, and no Playwright browser is ever downloaded. The flags keep it off a
network this machine does not have (its background services would try Google's hosts)."""

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",  # as root, and in containers without user namespaces
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = Path(__file__).resolve().parents[2] / ".run" / "artefacts" / "browser"


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    if not os.path.exists(CHROMIUM):  # noqa: ASYNC240 (once per session)
        pytest.fail(
            f"{CHROMIUM} not found: run deploy/local/chromium.sh (Debian's chromium and "
            "chromium-driver); `make test` does"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


@pytest.fixture
async def context(browser: Browser) -> AsyncIterator[BrowserContext]:
    """A fresh profile for each test: no cookies or storage carried over."""
    context = await browser.new_context(viewport={"width": 900, "height": 1100})
    yield context
    await context.close()


@pytest.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


class Screenshots:
    """Numbered screenshots of one test's steps, kept where CI and people find them:
    `.run/artefacts/browser/<test>/<NN>-<step>.png`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.taken: list[Path] = []

    async def take(self, page: Page, step: str) -> Path:
        path = self.directory / f"{len(self.taken) + 1:02d}-{step}.png"
        await page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def screenshots(request: pytest.FixtureRequest) -> Screenshots:
    directory = ARTEFACTS / re.sub(r"[^\w.-]+", "_", request.node.name)
    shutil.rmtree(directory, ignore_errors=True)  # only this run's steps
    directory.mkdir(parents=True)
    return Screenshots(directory)
