"""Open every built page of the book in headless Chromium, as a reader's browser would.

    .venv/bin/python benchmarks/check_html.py [BUILD_DIR ...] [--shots DIR]   (make check-html)

For each ``*.html`` under each build folder (default ``book/_build/html``) it loads the page over
``file://`` through the Chrome DevTools Protocol (Debian's ``chromium``, no network) and fails the
page on

- a console error or an uncaught exception (``Runtime.consoleAPICalled`` of type error,
  ``Runtime.exceptionThrown``, ``Log.entryAdded`` at level error — a failed image, script or style
  load shows up here as ``net::ERR_FILE_NOT_FOUND``);
- an ``<img>`` whose file is missing or that did not decode (``naturalWidth == 0`` after load);
- an internal link (relative ``href``) to a file that does not exist, or to an ``#anchor`` the
  target page does not have;
- a request to any ``http(s)`` address (the book must read offline: math, fonts, scripts);
- an equation (``.math``) that MathJax, served from the book's own ``_static``, did not typeset;

and writes a screenshot of each page (``--shots``, default ``BUILD_DIR/../screenshots``). It
prints one line per failing page and a summary; the exit status is 1 when any page failed, 2 when
Chromium is not installed (``apt-get install chromium``).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

from tornado import ioloop, websocket  # jupyter's dependency: a websocket client, no extra package


class _Page(HTMLParser):
    """The ids, image sources and link targets of one HTML file."""

    def __init__(self):
        super().__init__()
        self.ids, self.imgs, self.links = set(), [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "img" and a.get("src"):
            self.imgs.append(a["src"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])


def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(errors="replace"))
    return page


def static_problems(page: Path, cache: dict) -> list[str]:
    """Missing image files and broken internal links (files and anchors) of ``page``."""
    parsed = cache.setdefault(page, _parse(page))
    out = []
    for src in parsed.imgs:
        u = urlparse(src)
        if u.scheme in ("", "file") and not src.startswith("data:"):
            if not (page.parent / unquote(u.path)).resolve().exists():
                out.append(f"missing image {src}")
    for href in parsed.links:
        u = urlparse(href)
        if u.scheme or href.startswith(("mailto:", "javascript:")):
            continue
        target = (page.parent / unquote(u.path)).resolve() if u.path else page
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            out.append(f"broken link {href}")
        elif u.fragment and target.suffix == ".html":
            ids = cache.setdefault(target, _parse(target)).ids
            if u.fragment not in ids:
                out.append(f"broken anchor {href}")
    return out


class Browser:
    """One headless Chromium, driven over the DevTools protocol."""

    def __init__(self):
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        if exe is None:
            print("[check-html] error: chromium is not installed; apt-get install chromium", file=sys.stderr)
            sys.exit(2)
        self.profile = tempfile.TemporaryDirectory(prefix="check-html-")
        self.proc = subprocess.Popen(
            [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--remote-debugging-port=0",
             f"--user-data-dir={self.profile.name}", "--window-size=1280,2000", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        for _ in range(200):
            if port_file.exists() and len(port_file.read_text().splitlines()) >= 2:
                break
            time.sleep(0.05)
        port = port_file.read_text().splitlines()[0]
        self.loop = ioloop.IOLoop.current()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json") as reply:  # the local browser only
            targets = json.loads(reply.read().decode())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = self.loop.run_sync(lambda: websocket.websocket_connect(page["webSocketDebuggerUrl"],
                                                                         max_message_size=1 << 28))
        self.next_id = 0
        self.math_seen = 0
        for method in ("Runtime.enable", "Log.enable", "Page.enable", "Network.enable"):
            self.call(method)

    def call(self, method: str, params: dict | None = None, events: list | None = None, timeout: float = 30.0):
        """Send one command; return its result, appending every event seen meanwhile to ``events``."""
        self.next_id += 1
        my_id = self.next_id

        async def go():
            await self.ws.write_message(json.dumps({"id": my_id, "method": method, "params": params or {}}))
            while True:
                msg = json.loads(await self.ws.read_message())
                if msg.get("id") == my_id:
                    return msg.get("result", {})
                if events is not None and "method" in msg:
                    events.append(msg)

        return self.loop.run_sync(go, timeout=timeout)

    def drain(self, events: list, seconds: float) -> None:
        """Collect events for up to ``seconds``, ending half a second after the load event."""
        async def go():
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    msg = await asyncio.wait_for(self.ws.read_message(), timeout=max(end - time.monotonic(), 0.01))
                except asyncio.TimeoutError:
                    return
                if msg is None:
                    return
                m = json.loads(msg)
                if "method" in m:
                    events.append(m)
                    if m["method"] == "Page.loadEventFired":
                        end = min(end, time.monotonic() + 0.5)

        self.loop.run_sync(go)

    def visit(self, url: str, shot: Path) -> list[str]:
        events: list = []
        self.call("Page.navigate", {"url": url}, events)
        self.drain(events, 6.0)
        problems = []
        for e in events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                problems.append(f"exception: {d.get('exception', {}).get('description', d.get('text', ''))[:200]}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") == "error":
                args = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                problems.append(f"console error: {args[:200]}")
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                entry = p["entry"]
                problems.append(f"console error: {entry.get('text', '')[:160]} {entry.get('url', '')}")
            elif m == "Network.requestWillBeSent" and re.match(r"https?://", p.get("request", {}).get("url", "")):
                problems.append(f"network request (the book must read offline): {p['request']['url'][:160]}")
        broken = self.call("Runtime.evaluate", {"expression": "Array.from(document.images).filter(i => i.complete "
                                                "&& i.naturalWidth === 0).map(i => i.src)", "returnByValue": True})
        problems += [f"image did not load: {s}" for s in broken.get("result", {}).get("value", [])]
        problems += self.math_problems()
        size = self.call("Runtime.evaluate", {"expression": "document.documentElement.scrollHeight",
                                              "returnByValue": True})
        height = min(int(size.get("result", {}).get("value", 2000) or 2000), 12000)
        self.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": height, "deviceScaleFactor": 1,
                                                         "mobile": False})
        png = self.call("Page.captureScreenshot", {"format": "png"})
        shot.parent.mkdir(parents=True, exist_ok=True)
        shot.write_bytes(base64.b64decode(png["data"]))
        return problems

    def math_problems(self, wait: float = 5.0) -> list[str]:
        """The page's equations must be typeset offline: every ``.math`` element holds MathJax output."""
        expr = ("[document.querySelectorAll('.math').length, "
                "document.querySelectorAll('.math mjx-container, mjx-container.MathJax').length]")
        end = time.monotonic() + wait
        while True:
            n_math, n_done = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}) \
                .get("result", {}).get("value", [0, 0])
            if n_math == 0 or n_done >= n_math or time.monotonic() > end:
                break
            time.sleep(0.2)
        self.math_seen += n_math
        return [] if n_done >= n_math else [f"{n_math - n_done} of {n_math} equations not typeset (offline MathJax)"]

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.profile.cleanup()


def pages(build: Path) -> list[Path]:
    """The reader's pages of a build (not Sphinx's search or index machinery)."""
    skip = {"search.html", "genindex.html", "py-modindex.html"}
    return sorted(p for p in build.rglob("*.html") if p.name not in skip and "_static" not in p.parts
                  and "_sources" not in p.parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("builds", nargs="*", default=["book/_build/html"])
    parser.add_argument("--shots", help="screenshot folder (default: next to each build, screenshots/)")
    args = parser.parse_args(argv)
    browser, failed, total, cache = Browser(), 0, 0, {}
    try:
        for b in map(Path, args.builds):
            if not b.is_dir():
                print(f"[check-html] error: no build at {b}; run make book first", file=sys.stderr)
                return 2
            shots = Path(args.shots) if args.shots else b.parent / "screenshots"
            for page in pages(b):
                total += 1
                rel = page.relative_to(b)
                problems = static_problems(page, cache)
                problems += browser.visit(page.resolve().as_uri(), shots / rel.with_suffix(".png"))
                if problems:
                    failed += 1
                    print(f"[check-html] FAIL {b}/{rel}: " + "; ".join(dict.fromkeys(problems)))
        print(f"[check-html] {total - failed} of {total} pages pass ({failed} failed; {browser.math_seen} equations "
              "typeset offline); screenshots beside each build")
    finally:
        browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
