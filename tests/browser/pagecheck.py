"""pagecheck: open a static HTML page in a real headless Chromium; report what a reader would hit.

    from pagecheck import PageChecker, PHONE
    with PageChecker() as checker:                      # one browser for many pages
        report = checker.check_page("reports/index.html", **PHONE, screenshot_path="shot.png")
        assert report.ok, report.summary()

    # or, one-off (a shared browser is started lazily and closed at interpreter exit):
    from pagecheck import check_page
    report = check_page("reports/index.html", width=1280, height=900, screenshot_path="shot.png")

Local files are served over a loopback HTTP server (``http.server`` on 127.0.0.1, random port),
never ``file://``, so relative links, images and scripts resolve as they will once published. By
default the server's root is the file's folder; pass ``root=`` (e.g. the ``reports/`` folder) when
a page links above its own folder.

Checks (each ends up in a field of :class:`PageReport`):

* ``console_errors`` - ``console.error`` calls and the browser's own error lines (a resource that
  failed to load is listed once, under ``failed_requests``, not again here);
* ``page_errors`` - uncaught exceptions and unhandled promise rejections;
* ``failed_requests`` - local requests that failed or answered >= 400 (any resource type);
* ``broken_images`` - ``<img>`` that finished loading with ``naturalWidth == 0``, with its ``src``;
* ``overflows`` - block elements whose content is wider than their box (``scrollWidth >
  clientWidth + 1``), reported at the innermost such element with the child that sticks out;
  ``page_overflow`` - the document wider than the viewport (a sideways scroll for the reader);
* ``missing_alt`` / ``placeholder_alt`` - ``<img>`` with no, or empty, alt text, and alt text that
  is a generic placeholder such as nbconvert's "No description has been provided for this image";
* a full-page PNG screenshot when ``screenshot_path`` is given.

Requests to anything but the loopback host (CDNs: MathJax, require.js) are aborted by default, so a
check never waits on the network; they are listed in ``external_requests`` and the console lines
they cause are kept out of ``console_errors``. Pass ``allow_external=True`` to let them through.

The browser is the system Chromium (Debian: ``apt-get install chromium``) driven by Playwright's
Python package (``pip install playwright``; no ``playwright install`` is needed or possible).
"""

from __future__ import annotations

import atexit
import functools
import http.server
import os
import re
import shutil
import socketserver
import tempfile
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "DESKTOP", "PHONE", "PRESETS", "BrowserUnavailable", "PageChecker", "PageReport",
    "PageUnresponsive",
    "check_page", "close_shared", "find_chromium", "is_placeholder_alt", "shared_checker",
]

#: Keyword presets for :meth:`PageChecker.check_page`: ``check_page(path, **PHONE)``.
DESKTOP: dict[str, Any] = {"width": 1280, "height": 900, "device_scale_factor": 1, "mobile": False}
PHONE: dict[str, Any] = {"width": 390, "height": 844, "device_scale_factor": 2, "mobile": True}
PRESETS: dict[str, dict[str, Any]] = {"desktop": DESKTOP, "phone": PHONE}

#: Flags the system Chromium needs in a container/CI: no sandbox (root), no GPU, and nothing that
#: phones home (background networking, component updates, sync, QUIC), which otherwise hangs or
#: gets refused on a machine without internet. Playwright adds --headless and a fresh
#: --user-data-dir (a temporary profile) itself.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--no-proxy-server",
)

CHROMIUM_CANDIDATES: tuple[str, ...] = (
    "/usr/bin/chromium",            # Debian/Ubuntu package `chromium`
    "/usr/lib/chromium/chromium",   # the binary the Debian wrapper script execs
    "chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
)

INSTALL_HINT = ("install Chromium and Playwright: `apt-get install -y chromium` and "
                "`pip install playwright` (or run install.sh)")

#: Alt texts that say nothing about the image (compared case-insensitively, trailing dots removed).
PLACEHOLDER_ALTS: frozenset[str] = frozenset({
    "no description has been provided for this image",  # nbconvert >= 7 default
    "image", "img", "picture", "photo", "figure", "fig", "graph", "chart", "plot", "output",
    "alt", "alt text", "placeholder", "untitled", "todo", "tbd", "description", "image description",
    "png", "svg", "jpg", "jpeg", "gif", "webp", "null", "none", "undefined",
})
_PLACEHOLDER_RE = re.compile(
    r"^(?:(?:image|img|figure|fig|graph|chart|plot|output|picture)[\s._-]*\d*"   # "Figure 1"
    r"|<matplotlib\..*>"                                                        # repr of a Figure
    r"|[\w.-]+\.(?:png|svg|jpe?g|gif|webp))$",                                  # a file name
    re.IGNORECASE,
)


class BrowserUnavailable(RuntimeError):
    """Chromium or the Playwright package is missing, or the browser would not start."""


class PageUnresponsive(RuntimeError):
    """The page never fired ``load`` and its main thread does not answer: nothing to audit."""


def find_chromium() -> str:
    """The Chromium executable to drive: ``$PAGECHECK_CHROMIUM`` if set, else the first found."""
    env = os.environ.get("PAGECHECK_CHROMIUM")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise BrowserUnavailable(f"PAGECHECK_CHROMIUM={env!r} is not an executable file; "
                                     + INSTALL_HINT)
        return env
    for candidate in CHROMIUM_CANDIDATES:
        found = candidate if os.path.isabs(candidate) else shutil.which(candidate)
        if found and os.path.isfile(found) and os.access(found, os.X_OK):
            return found
    raise BrowserUnavailable(f"no Chromium found (tried {', '.join(CHROMIUM_CANDIDATES)}); "
                             + INSTALL_HINT)


def is_placeholder_alt(alt: str) -> bool:
    """True when ``alt`` is a generic stand-in rather than a description of the image."""
    text = " ".join(alt.split()).strip().rstrip(".").strip()
    return text.lower() in PLACEHOLDER_ALTS or bool(_PLACEHOLDER_RE.match(text))


@dataclass
class PageReport:
    """What one load of one page showed. ``ok`` is False when any error-level finding exists."""

    url: str
    width: int
    height: int
    device_scale_factor: float
    mobile: bool
    title: str = ""
    status: int | None = None
    load_error: str | None = None
    console_errors: list[str] = field(default_factory=list)
    console_warnings: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[dict[str, Any]] = field(default_factory=list)
    external_requests: list[str] = field(default_factory=list)
    broken_images: list[dict[str, Any]] = field(default_factory=list)
    overflows: list[dict[str, Any]] = field(default_factory=list)
    scroll_containers: list[dict[str, Any]] = field(default_factory=list)
    page_overflow: dict[str, Any] | None = None
    missing_alt: list[dict[str, Any]] = field(default_factory=list)
    placeholder_alt: list[dict[str, Any]] = field(default_factory=list)
    viewport_meta: bool = True
    layout_width: int = 0        # documentElement.clientWidth: the viewport less a scrollbar
    image_count: int = 0
    screenshot_path: str | None = None
    load_seconds: float = 0.0
    total_seconds: float = 0.0

    def problems(self) -> list[str]:
        """One line per error-level finding (empty for a page that passes)."""
        out: list[str] = []
        if self.status is not None and self.status >= 400:
            out.append(f"page answered HTTP {self.status}")
        if self.load_error:
            out.append(f"page did not finish loading: {self.load_error}")
        out += [f"console error: {m}" for m in self.console_errors]
        out += [f"uncaught exception: {m}" for m in self.page_errors]
        out += [f"failed request: {r['url']} ({r['error']})" for r in self.failed_requests]
        out += [f"broken image: {i['src']}" for i in self.broken_images]
        out += [f"overflow ({o['kind']}): {o['selector']} holds {o['scroll_width']}px in a "
                f"{o['client_width']}px box"
                + (f"; sticking out: {o['culprit']}" if o.get("culprit") else "")
                + (f"; clipped by {o['container']}" if o["kind"] == "clipped"
                   and o["container"] != o["selector"] else "") for o in self.overflows]
        if self.page_overflow:
            po = self.page_overflow
            out.append(f"page is {po['scroll_width']}px wide in a {po['viewport_width']}px viewport"
                       + (f" (widest: {po['culprit']})" if po.get("culprit") else ""))
        out += [f"image without alt text: {i['src']}" for i in self.missing_alt]
        out += [f"placeholder alt text {i['alt']!r}: {i['src']}" for i in self.placeholder_alt]
        if self.mobile and not self.viewport_meta:
            out.append("no <meta name=viewport>: phones render the page 980px wide and shrink it")
        return out

    @property
    def ok(self) -> bool:
        return not self.problems()

    def summary(self) -> str:
        head = (f"{self.url} at {self.width}x{self.height}"
                f"{f' (mobile, dpr {self.device_scale_factor:g})' if self.mobile else ''}: ")
        probs = self.problems()
        if not probs:
            return head + f"OK ({self.image_count} images, {self.total_seconds:.2f}s)"
        return head + f"{len(probs)} problem(s)\n" + "\n".join(f"  - {p}" for p in probs)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --------------------------------------------------------------------------- loopback file server

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one folder; no request log, no caching, no tracebacks for dropped connections."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a browser closing a keep-alive connection is not news


class _FileServer:
    def __init__(self, root: Path) -> None:
        self.root = root
        handler = functools.partial(_QuietHandler, directory=str(root))
        self.httpd = _Server(("127.0.0.1", 0), handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=f"pagecheck:{root}",
                                       daemon=True)
        self.thread.start()

    def url_for(self, path: Path) -> str:
        rel = path.relative_to(self.root).as_posix()
        return f"http://127.0.0.1:{self.port}/{urllib.parse.quote(rel)}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --------------------------------------------------------------------------- in-page audit

_AUDIT_JS = r"""
async ({imageTimeoutMs}) => {
  const sel = (el) => {
    if (!el || el.nodeType !== 1) return '';
    if (el.id) return el.tagName.toLowerCase() + '#' + el.id;
    const parts = [];
    for (let e = el; e && e.nodeType === 1 && parts.length < 4; e = e.parentElement) {
      let s = e.tagName.toLowerCase();
      if (e.id) { parts.unshift(s + '#' + e.id); break; }
      const cls = [...e.classList].slice(0, 2);
      if (cls.length) s += '.' + cls.join('.');
      const p = e.parentElement;
      if (p) {
        const same = [...p.children].filter(c => c.tagName === e.tagName);
        if (same.length > 1) s += ':nth-of-type(' + (same.indexOf(e) + 1) + ')';
      }
      parts.unshift(s);
      if (s === 'body' || s === 'html') break;
    }
    return parts.join(' > ');
  };
  const srcOf = (img) => {
    const s = img.currentSrc || img.getAttribute('src') || '';
    return s.startsWith('data:') ? s.slice(0, 40) + '...(' + s.length + ' chars)' : s;
  };

  // Lazy images would never load in a headless check: make them eager, then wait for every image.
  const imgs = [...document.images];
  imgs.forEach(img => { if (img.loading === 'lazy') img.loading = 'eager'; });
  await Promise.all(imgs.map(img => img.complete ? null : new Promise(res => {
    img.addEventListener('load', res, {once: true});
    img.addEventListener('error', res, {once: true});
    setTimeout(res, imageTimeoutMs);
  })));
  if (document.fonts && document.fonts.ready) await document.fonts.ready;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));

  const broken = [], missingAlt = [], alts = [];
  for (const img of imgs) {
    const role = (img.getAttribute('role') || '').toLowerCase();
    const hidden = img.getAttribute('aria-hidden') === 'true' ||
                   ['presentation', 'none'].includes(role);
    if (!img.complete || img.naturalWidth === 0)
      broken.push({src: srcOf(img), selector: sel(img), complete: img.complete});
    const alt = img.getAttribute('alt');
    if (!hidden && (alt === null || alt.trim() === ''))
      missingAlt.push({src: srcOf(img), selector: sel(img), alt: alt});
    else if (alt !== null) alts.push({src: srcOf(img), selector: sel(img), alt: alt});
  }

  // Horizontal overflow of block boxes (inline boxes have clientWidth 0 and are skipped).
  // scrollWidth > clientWidth + 1 nominates a box; its geometry confirms it (Chrome reports a
  // large scrollWidth for some boxes whose wide content is held by a nested scroll container):
  // a descendant box or text must reach past its right edge with no clipping box in between.
  const INLINE = new Set(['inline', 'contents', 'none', 'table-column', 'table-column-group']);
  const SKIP = new Set(['SCRIPT', 'STYLE', 'TEMPLATE', 'HEAD', 'NOSCRIPT']);
  const body = document.body;
  const all = body ? [body, ...body.querySelectorAll('*')] : [];
  const ox = new Map();             // element -> computed overflow-x
  const nominated = [];
  for (const el of all) {
    if (SKIP.has(el.tagName)) continue;
    const cs = getComputedStyle(el);
    // <body>'s overflow belongs to the viewport (propagated) unless <html> sets its own.
    const o = (el === body) ? 'visible' : cs.overflowX;
    ox.set(el, o);
    if (INLINE.has(cs.display) || el.clientWidth === 0) continue;
    if (el.scrollWidth <= el.clientWidth + 1) continue;
    if (cs.textOverflow === 'ellipsis' && o !== 'visible') continue;  // deliberate truncation
    nominated.push(el);
  }
  const clips = (el) => (ox.get(el) || 'visible') !== 'visible';
  const clipBetween = (inner, outer) => {   // a clipping box strictly between inner and outer?
    for (let e = inner.parentElement; e && e !== outer; e = e.parentElement)
      if (clips(e)) return true;
    return false;
  };
  const owner = (el) => {                   // nearest clipping ancestor below <body>, or null
    for (let e = el.parentElement; e && e !== body; e = e.parentElement) if (clips(e)) return e;
    return null;
  };
  const escape = (f) => {                   // what sticks out past f's padding box, if anything
    const r = f.getBoundingClientRect();
    const inner = r.left + f.clientLeft;    // left edge of the padding box
    const edge = inner + f.clientWidth + 1;
    let best = null, right = edge;
    for (const d of f.querySelectorAll('*')) {
      if (SKIP.has(d.tagName)) continue;
      const dr = d.getBoundingClientRect();
      if (dr.width > 0 && dr.right > right && !clipBetween(d, f)) { best = d; right = dr.right; }
    }
    const walker = document.createTreeWalker(f, NodeFilter.SHOW_TEXT);
    const range = document.createRange();
    let textRight = edge, textEl = null;
    for (let t = walker.nextNode(); t; t = walker.nextNode()) {
      const p = t.parentElement;
      if (!t.data.trim() || !p || SKIP.has(p.tagName) ||
          (p !== f && (clips(p) || clipBetween(p, f)))) continue;
      range.selectNodeContents(t);
      const tr = range.getBoundingClientRect();
      if (tr.width > 0 && tr.right > textRight) { textRight = tr.right; textEl = p; }
    }
    if (!best && !textEl) return null;
    if (textRight > right) return {el: textEl, text: true, width: Math.round(textRight - inner)};
    return {el: best, text: false, width: Math.round(right - inner)};
  };
  const confirmed = [];
  for (const el of nominated) {
    const e = escape(el);
    if (e) confirmed.push({el, culprit: e});
  }
  // A spilling box makes every ancestor up to its clipping box overflow too: keep the innermost.
  const innermost = confirmed.filter(f => !confirmed.some(g => g !== f && !clips(g.el) &&
                                                          f.el.contains(g.el) &&
                                                          !clipBetween(g.el, f.el)));
  const kindOf = (o) => (o === 'auto' || o === 'scroll') ? 'scrolls'
                      : (o === 'hidden' || o === 'clip') ? 'clipped' : 'spills';
  const overflows = innermost.map(({el, culprit}) => {
    const box = clips(el) ? el : owner(el);      // the box that deals with the overflow
    let what = '';
    if (culprit.el && culprit.el !== el)
      what = sel(culprit.el) + (culprit.text ? ' (its text)' : '');
    else if (culprit.text) what = 'its own text';
    return {selector: sel(el), kind: box ? kindOf(ox.get(box)) : 'spills',
            container: box ? sel(box) : 'page',
            scroll_width: el.scrollWidth, client_width: el.clientWidth,
            culprit: what ? what + ' (' + culprit.width + 'px)' : ''};
  });

  // The page itself. window.innerWidth cannot be used: a phone zooms out to fit wide content, so
  // innerWidth grows with it; documentElement.clientWidth stays the layout viewport.
  const de = document.documentElement;
  const vw = de.clientWidth;
  const pageWidth = (document.scrollingElement || de).scrollWidth;
  let pageOverflow = null;
  if (pageWidth > vw + 1) {
    let culprit = null, right = vw + 1;
    for (const el of all) {
      if (el === body || SKIP.has(el.tagName)) continue;
      const r = el.getBoundingClientRect();
      const x = r.right + window.scrollX;
      if (r.width > 0 && x > right && !owner(el)) { culprit = el; right = x; }
    }
    const spill = overflows.find(o => o.container === 'page');   // e.g. a long unbroken URL
    pageOverflow = {scroll_width: pageWidth, viewport_width: vw,
                    culprit: culprit ? sel(culprit) + ' (right edge ' + Math.round(right) + 'px)'
                           : spill ? spill.selector + ': ' + spill.culprit : ''};
  }
  return {
    title: document.title,
    broken, missingAlt, alts, overflows, pageOverflow, imageCount: imgs.length,
    viewportMeta: !!document.querySelector('meta[name="viewport" i]'),
    layoutWidth: vw,
  };
}
"""


# --------------------------------------------------------------------------- the checker

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})


class _Run:
    """The state of one check: where its events go."""

    def __init__(self, url: str, report: PageReport, allow_external: bool) -> None:
        self.url = url
        self.report = report
        self.allow_external = allow_external
        self.allowed_hosts = _LOOPBACK_HOSTS | {urllib.parse.urlsplit(url).hostname or ""}
        self.blocked: set[str] = set()
        self.console: list[tuple[str, str, str]] = []   # (type, text, source url)


class _Slot:
    """A context and its one tab; its handlers forward to the check in progress, if any."""

    def __init__(self, key: tuple[Any, ...], ctx: Any) -> None:
        self.key = key
        self.ctx = ctx
        self.page: Any = None
        self.run: _Run | None = None

    def route(self, r: Any) -> None:
        run, req_url = self.run, r.request.url
        scheme = req_url.split(":", 1)[0].lower()
        host = urllib.parse.urlsplit(req_url).hostname or ""
        if run is None or (not run.allow_external and scheme not in ("data", "blob", "about")
                           and host not in run.allowed_hosts):
            if run is not None and req_url not in run.blocked:
                run.blocked.add(req_url)
                run.report.external_requests.append(req_url)
            r.abort("blockedbyclient")
        else:
            r.continue_()

    def on_console(self, msg: Any) -> None:
        if self.run is not None and msg.type in ("error", "warning"):
            self.run.console.append((msg.type, msg.text, (msg.location or {}).get("url", "")))

    def on_pageerror(self, err: Any) -> None:
        if self.run is not None:
            name = getattr(err, "name", "") or type(err).__name__
            message = getattr(err, "message", "") or str(err)
            self.run.report.page_errors.append(f"{name}: {message}")

    def on_requestfailed(self, req: Any) -> None:
        run = self.run
        if run is not None and req.url not in run.blocked:
            run.report.failed_requests.append({"url": req.url, "error": req.failure or "failed",
                                               "type": req.resource_type})

    def on_response(self, resp: Any) -> None:
        run = self.run
        if run is not None and resp.status >= 400 and resp.url != run.url:
            run.report.failed_requests.append({"url": resp.url, "error": f"HTTP {resp.status}",
                                               "type": resp.request.resource_type})


# Playwright's sync API allows one driver per thread (a second sync_playwright().start() fails
# with "using Playwright Sync API inside the asyncio loop"), so every PageChecker in the process
# shares one driver, counted, and each has its own browser.
_pw_instance: Any = None
_pw_users = 0


def _acquire_playwright(sync_playwright: Any) -> Any:
    global _pw_instance, _pw_users
    if _pw_instance is None:
        _pw_instance = sync_playwright().start()
    _pw_users += 1
    return _pw_instance


def _release_playwright() -> None:
    global _pw_instance, _pw_users
    _pw_users -= 1
    if _pw_users <= 0 and _pw_instance is not None:
        instance, _pw_instance, _pw_users = _pw_instance, None, 0
        instance.stop()


class PageChecker:
    """One Chromium for many page checks. Each viewport setup (size, scale, mobile) gets its own
    browser context and tab, kept and re-navigated for the next check with that setup unless
    ``reuse_tabs=False`` (then every check opens and closes a fresh context: slower, fully
    isolated). Each navigation starts a new document; the loopback server sends ``no-store`` so
    nothing is served from cache. A check that fails or times out throws its tab away.
    Use as a context manager or call :meth:`close`."""

    def __init__(self, executable_path: str | None = None, *, extra_args: tuple[str, ...] = (),
                 launch_timeout_ms: int = 30_000, reuse_tabs: bool = True) -> None:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise BrowserUnavailable(f"the Python package 'playwright' is missing; {INSTALL_HINT}"
                                     ) from exc
        self.executable_path = executable_path or find_chromium()
        self._servers: dict[Path, _FileServer] = {}
        self._slots: dict[tuple[Any, ...], _Slot] = {}
        self.reuse_tabs = reuse_tabs
        self._lock = threading.Lock()
        from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

        self._TimeoutError = PlaywrightTimeoutError
        self._args = [*CHROMIUM_ARGS, *extra_args]
        self._launch_timeout_ms = launch_timeout_ms
        self._pw = _acquire_playwright(sync_playwright)
        self._browser: Any = None
        try:
            self._launch()
        except BaseException:
            _release_playwright()
            raise
        self.browser_version = self._browser.version

    def _launch(self) -> None:
        start = time.perf_counter()
        try:
            self._browser = self._pw.chromium.launch(
                executable_path=self.executable_path, headless=True, args=self._args,
                timeout=self._launch_timeout_ms,
                # Playwright's default also hides scrollbars; keep them so the desktop layout
                # width is a real reader's (1280 less a 15px scrollbar on a long page).
                ignore_default_args=["--hide-scrollbars"],
            )
        except Exception as exc:
            raise BrowserUnavailable(f"{self.executable_path} would not start: {exc}") from exc
        self.launch_seconds = time.perf_counter() - start

    def _ensure_browser(self) -> None:
        """Start a new Chromium if the old one died (crash, OOM kill) since the last check."""
        if not self._browser.is_connected():
            self._slots.clear()
            self._launch()

    # ---- lifecycle
    def __enter__(self) -> PageChecker:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        for slot in list(self._slots.values()):
            self._drop(slot)
        for server in self._servers.values():
            server.close()
        self._servers.clear()
        if getattr(self, "_browser", None) is not None:
            try:
                self._browser.close()
            finally:
                self._browser = None
                _release_playwright()

    # ---- serving
    def url_for(self, path_or_url: str | os.PathLike[str], root: str | os.PathLike[str] | None
                = None) -> str:
        """The URL a check loads: a URL unchanged, a local file via a loopback server for ``root``
        (default: the file's folder)."""
        text = os.fspath(path_or_url)
        if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE) and not text.startswith(
                "file://"):
            return text
        if text.startswith("file://"):
            text = urllib.parse.unquote(urllib.parse.urlparse(text).path)
        path = Path(text).resolve()
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            raise FileNotFoundError(path)
        base = Path(root).resolve() if root is not None else path.parent
        if not path.is_relative_to(base):
            raise ValueError(f"{path} is not inside the served root {base}")
        with self._lock:
            server = self._servers.get(base)
            if server is None:
                server = self._servers[base] = _FileServer(base)
        return server.url_for(path)

    # ---- tabs
    def _slot(self, width: int, height: int, device_scale_factor: float, mobile: bool,
              timeout_ms: int) -> _Slot:
        """A browser context + tab for one viewport setup, kept for the next check with the same
        setup when ``reuse_tabs`` (opening a tab costs ~0.2 s, navigating a kept one ~0.07 s)."""
        key = (width, height, float(device_scale_factor), bool(mobile))
        slot = self._slots.get(key) if self.reuse_tabs else None
        if slot is not None and not slot.page.is_closed():
            return slot
        ctx = self._browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=device_scale_factor,
            is_mobile=mobile, has_touch=mobile, service_workers="block",
        )
        ctx.set_default_timeout(timeout_ms)
        slot = _Slot(key, ctx)
        ctx.route("**/*", slot.route)
        slot.page = ctx.new_page()
        slot.page.on("console", slot.on_console)
        slot.page.on("pageerror", slot.on_pageerror)
        slot.page.on("requestfailed", slot.on_requestfailed)
        slot.page.on("response", slot.on_response)
        if self.reuse_tabs:
            self._slots[key] = slot
        return slot

    def _drop(self, slot: _Slot) -> None:
        self._slots.pop(slot.key, None)
        try:
            slot.ctx.close()
        except Exception:  # noqa: BLE001 - the browser may already have dropped it
            pass

    # ---- the check
    def check_page(self, path_or_url: str | os.PathLike[str], *, width: int = 1280,
                   height: int = 900, screenshot_path: str | os.PathLike[str] | None = None,
                   device_scale_factor: float = 1, mobile: bool = False,
                   root: str | os.PathLike[str] | None = None, allow_external: bool = False,
                   timeout_ms: int = 30_000, image_timeout_ms: int = 5_000,
                   settle_ms: int = 50, screenshot_scale: str = "device") -> PageReport:
        """Load one page at one viewport and report what it showed (see the module docstring).

        ``mobile=True`` turns on Chromium's mobile emulation (the meta viewport is honoured, touch
        events on; the user agent is left alone); pass ``**PHONE`` or ``**DESKTOP`` for the
        presets. ``screenshot_scale="css"`` writes a 1x image even at device_scale_factor 2.
        ``settle_ms`` is waited after the audit so errors from ``setTimeout(..., 0)`` are caught."""
        if self._browser is None:
            raise RuntimeError("PageChecker is closed")
        self._ensure_browser()
        t0 = time.perf_counter()
        url = self.url_for(path_or_url, root)
        report = PageReport(url=url, width=width, height=height,
                            device_scale_factor=device_scale_factor, mobile=mobile)
        slot = self._slot(width, height, device_scale_factor, mobile, timeout_ms)
        run = _Run(url, report, allow_external)
        slot.run = run
        page = slot.page
        ok = False
        try:
            t_load = time.perf_counter()
            try:
                response = page.goto(url, wait_until="load", timeout=timeout_ms)
                report.status = response.status if response is not None else None
            except self._TimeoutError:
                report.load_error = f"the load event did not fire within {timeout_ms} ms"
                # Audit what did load, unless the page's main thread is stuck (a script in a
                # loop): evaluate() has no timeout of its own, wait_for_function() does.
                try:
                    page.wait_for_function("() => true", timeout=1_000)
                except self._TimeoutError:
                    report.load_error += "; the page does not respond (a script stuck?)"
                    raise PageUnresponsive(f"{url}: {report.load_error}") from None
            audit = page.evaluate(_AUDIT_JS, {"imageTimeoutMs": image_timeout_ms})
            if settle_ms:
                page.wait_for_timeout(settle_ms)
            report.load_seconds = time.perf_counter() - t_load

            if screenshot_path is not None:
                shot = Path(screenshot_path)
                shot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shot), full_page=True, animations="disabled",
                                scale=screenshot_scale, timeout=timeout_ms)
                report.screenshot_path = str(shot)
            ok = report.load_error is None
        finally:
            slot.run = None          # late events from this page go nowhere
            if not ok or not self.reuse_tabs:
                self._drop(slot)     # a page that timed out or crashed is not reused

        # "Failed to load resource" lines repeat a failed request (already in failed_requests)
        # or a CDN request we cut off (in external_requests): keep each fault in one place.
        failed_urls = {r["url"] for r in report.failed_requests} | run.blocked
        for kind, text, loc in run.console:
            if kind == "warning":
                report.console_warnings.append(text)
            elif not (text.startswith("Failed to load resource") and loc in failed_urls):
                report.console_errors.append(
                    text + (f" [{loc}]" if loc and loc not in text and loc != url else ""))
        report.title = audit["title"]
        report.image_count = audit["imageCount"]
        report.viewport_meta = audit["viewportMeta"]
        report.layout_width = audit["layoutWidth"]
        report.broken_images = audit["broken"]
        report.missing_alt = audit["missingAlt"]
        report.placeholder_alt = [a for a in audit["alts"] if is_placeholder_alt(a["alt"])]
        report.overflows = [o for o in audit["overflows"] if o["kind"] != "scrolls"]
        report.scroll_containers = [o for o in audit["overflows"] if o["kind"] == "scrolls"]
        report.page_overflow = audit["pageOverflow"]
        report.total_seconds = time.perf_counter() - t0
        return report

    def check_presets(self, path_or_url: str | os.PathLike[str], *,
                      screenshot_dir: str | os.PathLike[str] | None = None,
                      presets: dict[str, dict[str, Any]] | None = None,
                      **kwargs: Any) -> dict[str, PageReport]:
        """:meth:`check_page` once per preset (desktop and phone by default)."""
        out = {}
        for name, preset in (presets or PRESETS).items():
            shot = None
            if screenshot_dir is not None:
                stem = Path(urllib.parse.urlsplit(os.fspath(path_or_url)).path).stem or "page"
                shot = Path(screenshot_dir) / f"{stem}.{name}.png"
            out[name] = self.check_page(path_or_url, **{**preset, **kwargs}, screenshot_path=shot)
        return out


# --------------------------------------------------------------------------- module-level helper

_shared: PageChecker | None = None


def shared_checker() -> PageChecker:
    """The process-wide :class:`PageChecker` behind :func:`check_page` (started on first use,
    closed at exit; a pytest session fixture can hand out this same one)."""
    global _shared
    if _shared is None:
        _shared = PageChecker()
    return _shared


def close_shared() -> None:
    global _shared
    if _shared is not None:
        _shared.close()
        _shared = None


atexit.register(close_shared)


def check_page(path_or_url: str | os.PathLike[str], *, width: int = 1280, height: int = 900,
               screenshot_path: str | os.PathLike[str] | None = None, **kwargs: Any) -> PageReport:
    """:meth:`PageChecker.check_page` on a browser shared by the whole process (started on first
    use, closed at exit)."""
    return shared_checker().check_page(path_or_url, width=width, height=height,
                                        screenshot_path=screenshot_path, **kwargs)


def main(argv: list[str] | None = None) -> int:
    """``python pagecheck.py PAGE... [--root DIR] [--shots DIR]``: each page at both presets."""
    import argparse
    import json

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("pages", nargs="+")
    ap.add_argument("--root", help="folder to serve (default: each page's folder)")
    ap.add_argument("--shots", help="folder for screenshots", default=None)
    ap.add_argument("--json", action="store_true", help="print the reports as JSON")
    args = ap.parse_args(argv)
    failed = 0
    shots = args.shots or tempfile.mkdtemp(prefix="pagecheck-")
    with PageChecker() as checker:
        for page in args.pages:
            for name, rep in checker.check_presets(page, root=args.root,
                                                   screenshot_dir=shots).items():
                print(json.dumps(rep.to_dict(), indent=1) if args.json
                      else f"[{name}] {rep.summary()}")
                failed += not rep.ok
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
