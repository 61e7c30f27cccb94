# the Chromium fixtures (live server in a thread, Debian's Chromium through Playwright)
from tests.browser.conftest import browser, live_server  # noqa: F401
