"""Browser fixtures: Debian's Chromium driven by Selenium (chromedriver), against the real server.

No browser is downloaded: the test command installs Debian's chromium and chromium-driver when
they are missing (.ci/ensure-browser), and these fixtures fail loudly if they are still absent.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.server import ROOT, ServerProcess

CHROMIUM = os.environ.get("LIVECHAT_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("LIVECHAT_CHROMEDRIVER", "/usr/bin/chromedriver")
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-features=Translate,MediaRouter",
]

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="session")
def chromium() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not shutil.which(p)]
    if missing:
        pytest.fail(
            f"browser tests need {missing}: run `make test` (it installs Debian's chromium and "
            "chromium-driver) or `apt-get install chromium chromium-driver`",
            pytrace=False,
        )
    ARTIFACTS.mkdir(exist_ok=True)


def _web_env(app: Any, pg_url: str, **extra: str) -> dict[str, str]:
    return {
        "LIVECHAT_ENV": "testing",
        "DATABASE_URL": pg_url,
        "SECRET_KEY": app.config["SECRET_KEY"],
        "AI_ENABLED": "true",
        "AI_PROVIDER": "offline",
        "AI_OFFLINE_CHUNK_DELAY": "0.03",
        "TYPING_TIMEOUT": "4",
        **extra,
    }


@pytest.fixture()
def web_server(app: Any, pg_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """The real server with the offline assistant on (streaming at a visible pace)."""
    server = ServerProcess(_web_env(app, pg_url), tmp_path / "web-server.log")
    yield server
    server.stop()


@pytest.fixture()
def idle_web_server(app: Any, pg_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """``web_server`` whose chats close after 3 s without a customer answer."""
    env = _web_env(app, pg_url, IDLE_CLOSE_SECONDS="3", IDLE_WARN_SECONDS="2")
    server = ServerProcess({**env, "IDLE_SWEEP_SECONDS": "0.3"}, tmp_path / "web-server.log")
    yield server
    server.stop()


@pytest.fixture()
def no_ai_web_server(app: Any, pg_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """The real server with the assistant off: a person answers every chat."""
    server = ServerProcess(
        {
            "LIVECHAT_ENV": "testing",
            "DATABASE_URL": pg_url,
            "SECRET_KEY": app.config["SECRET_KEY"],
            "AI_ENABLED": "false",
            "QUEUE_WITHOUT_ASSISTANT": "true",
        },
        tmp_path / "no-ai-server.log",
    )
    yield server
    server.stop()


class Browser:
    """One browser profile (its own storage, like a separate person) with small helpers."""

    def __init__(self, width: int, height: int) -> None:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in FLAGS:
            options.add_argument(flag)
        if width < 500:
            # Headless windows are at least 500 px wide: emulate the phone's viewport instead.
            options.add_experimental_option(
                "mobileEmulation",
                {"deviceMetrics": {"width": width, "height": height, "pixelRatio": 2}},
            )
        else:
            options.add_argument(f"--window-size={width},{height}")
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        self.driver = webdriver.Chrome(
            service=Service(executable_path=CHROMEDRIVER), options=options
        )
        self.driver.set_page_load_timeout(30)

    def get(self, url: str) -> None:
        self.driver.get(url)

    def find(self, testid: str, within: Any = None) -> Any:
        return (within or self.driver).find_element(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def find_all(self, testid: str, within: Any = None) -> list[Any]:
        return (within or self.driver).find_elements(By.CSS_SELECTOR, f'[data-testid="{testid}"]')

    def wait(self, condition: Callable[[Any], Any], timeout: float = 15, what: str = "") -> Any:
        # The pages re-render lists on every live update (queue:updated, positions): an element
        # found a moment ago may be gone by the time it is read. That is "not yet", not a
        # failure: the condition is tried again at the next poll.
        return WebDriverWait(
            self.driver,
            timeout,
            poll_frequency=0.1,
            ignored_exceptions=(StaleElementReferenceException,),
        ).until(lambda d: condition(d), message=what)

    def wait_visible(self, testid: str, timeout: float = 15) -> Any:
        def visible(_: Any) -> Any:
            for el in self.find_all(testid):
                if el.is_displayed():
                    return el
            return None

        return self.wait(visible, timeout, f"{testid} visible")

    def screenshot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def console_errors(self) -> list[str]:
        """Every error in the browser console since the last call, failed requests included:
        a page that asks for something it does not get (a 404 favicon, a refused API call) is
        broken, and "no chat yet" is an answer on the socket (session:current), not a 404."""
        return [e["message"] for e in self.driver.get_log("browser") if e["level"] == "SEVERE"]

    def quit(self) -> None:
        self.driver.quit()


@pytest.fixture()
def browser(chromium: None) -> Iterator[Callable[..., Browser]]:
    """browser(width=1280, height=900) -> a fresh browser profile, closed after the test."""
    opened: list[Browser] = []

    def make(width: int = 1280, height: int = 900) -> Browser:
        b = Browser(width, height)
        opened.append(b)
        return b

    yield make
    for b in opened:
        b.quit()
