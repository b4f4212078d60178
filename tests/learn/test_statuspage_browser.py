"""The built page in a real headless Chromium: what a visitor sees, on a phone and a desktop, light and dark.

Needs Debian's ``chromium`` package (``.ci/run`` installs it when missing); skipped with that message otherwise.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from incident_mcp.statuspage import publish_status_page
from incident_mcp.workspace import Workspace
from tests.support.statuspage_fixtures import NOW, make_workspace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed: apt-get install -y chromium "
                                                         "(.ci/run does it when CI=true)")

# A test harness (not part of the site): reads the page's rendered text the way a visitor gets it
# (innerText honours CSS), plus what assistive technology reads for the uptime bars.
HARNESS = """<!DOCTYPE html><html lang="en"><body>
<iframe id="page" src="status-site/index.html" style="width:1000px;height:3000px"></iframe>
<iframe src="status-site/incidents/INC-007.html"></iframe>
<pre id="out"></pre>
<script>
document.getElementById("page").addEventListener("load", function () {
  var doc = document.getElementById("page").contentDocument;
  var bars = Array.prototype.map.call(doc.querySelectorAll(".bars"), function (b) {
    return b.getAttribute("role") + " | " + b.getAttribute("aria-label");
  });
  document.getElementById("out").textContent = "VISIBLE<<" + doc.body.innerText + ">>\\nBARS<<" +
      bars.join("\\n") + ">>\\nLANG<<" + doc.documentElement.lang + ">>";
});
</script></body></html>
"""


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=90, check=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_workspace(tmp_path_factory.mktemp("browser") / "ws")
    publish_status_page(Workspace.at(root), now=NOW)
    (root / "harness.html").write_text(HARNESS)
    return root / "status-site"


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The workspace folder served over HTTP on 127.0.0.1, as a static host would serve the site."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site.parent)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_visitor_sees_the_banner_components_and_incident_titles_and_no_console_error(served: str,
                                                                                     tmp_path: Path) -> None:
    done = chromium(tmp_path / "profile", "--enable-logging=stderr", "--v=0", "--dump-dom",
                    f"{served}/harness.html")
    assert done.returncode == 0, done.stderr[-2000:]
    visible = done.stdout.split("VISIBLE&lt;&lt;", 1)[1].split("&gt;&gt;", 1)[0]
    for text in ("Acme status", "Partial System Outage", "Current incidents", "Elevated API errors",
                 "Some API calls fail. We are investigating.", "Scheduled maintenance", "Docs search index rebuild",
                 "Acme API", "Web app", "docs", "90 days: 99.91%", "Past incidents",
                 "Partial outage: Acme API and Web app", "Major outage: Acme API", "uptime = 1 − ("):
        assert text in visible, f"{text!r} is not visible"
    assert "billing-worker" not in visible and "db pool" not in visible
    bars = done.stdout.split("BARS&lt;&lt;", 1)[1].split("&gt;&gt;", 1)[0].splitlines()
    assert len(bars) == 3 and all(b.startswith("img | ") and "uptime over the last 90 days" in b for b in bars)
    assert "LANG&lt;&lt;en&gt;&gt;" in done.stdout
    console = [line for line in done.stderr.splitlines()
               if "CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line]
    assert console == [], console


def test_screenshots_on_a_phone_in_light_and_dark(site: Path, tmp_path: Path) -> None:
    shots: dict[str, bytes] = {}
    for name, size, extra in (("phone", "390,1600", ()), ("phone-dark", "390,1600", ("--force-dark-mode",))):
        target = tmp_path / f"{name}.png"
        done = chromium(tmp_path / f"profile-{name}", f"--screenshot={target}", f"--window-size={size}", *extra,
                        (site / "index.html").as_uri())
        assert done.returncode == 0 and target.is_file(), done.stderr[-2000:]
        shots[name] = target.read_bytes()
        assert shots[name].startswith(b"\x89PNG") and len(shots[name]) > 10_000
    assert shots["phone"] != shots["phone-dark"], "the dark colour scheme changed nothing"
