"""The workbench as a user sees it: JupyterLab in a real (headless) Chromium.

For each notebook of its set (in `make test`: the start-here notebook and the explorers 03 synapse pulse
waveforms and 06 SPGF on depth frames; in `.ci/run` after it: the other 15, 09 point-cloud clusters in Open3D and
14 QuantumNAS on noise models among them), the test starts `jupyter lab` on loopback with a token (as `make lab` does), opens each notebook, runs
all cells and checks:

* no dialog blocks the page and no cell output is an error;
* a real mouse drag on an explorer's slider (and a choice in a dropdown) changes the figure in the
  page: plotly trace data, or the bytes of an Open3D image;
* every plotly figure fits its column and every Open3D image is visible at a usable size;
* the notebook file is unchanged on disk; the server is stopped by its own process handle.

In `make test` each notebook runs with quick preset overrides (QUICK in conftest.py): the claims are
nbmake's job. Screenshots, phase times, the browser console and the server's and kernel's log lines go to
build/browser/NAME-*. `make browser` (LAB_BROWSER=all) checks every notebook at its shipped small scale;
`.ci/run` runs LAB_BROWSER=rest after `make test`: the notebooks `make test` did not open, so CI sees every
notebook in a real browser once.
Playwright drives Debian's chromium through `executable_path`; it never downloads a browser.
A second test opens a handout with the network blocked and checks that figures and maths render.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path

import pytest
from conftest import QUICK, jupyter_lab, quick_env

ROOT = Path(__file__).resolve().parents[1]
JUPYTER = Path(sys.executable).with_name("jupyter")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# make test opens the start page and two explorers (03 pulse waveforms, 06 SPGF on depth frames) plus the offline
# handout; 09 (Open3D clusters) and 14 (QuantumNAS on noise models), about 50 s each in the browser, moved to the
# set .ci/run opens after make test, so make test keeps to its 12 minutes and CI still sees all 18 notebooks
FLAGSHIP = ["00_start_here", "03_synapse", "06_spgf"]
RUN_SECONDS = 420
# Known defects, reported rather than hidden: the test still runs every other check on such a notebook and
# marks it xfail with the reason, for the figure-width check (KNOWN_WIDE) or the slider drag (KNOWN_STILL).
# None is known now: the FigureWidgets drawn at 700 px before their cell was laid out (02, 06, 09, 14) re-measure
# themselves (lab.core.plotting.FigureWidget), and 14's drag missed its handle while the cells above were still laying out
# after the scroll (_drag now waits for the handle to stay put).
KNOWN_WIDE: dict[str, str] = {}
KNOWN_STILL: dict[str, str] = {}


# which notebooks: "flagship" (make test), "all" (make browser) or "rest" (.ci/run after make test: every
# notebook but the flagship ones). "flagship" and "rest" run with the quick settings of conftest.QUICK where a
# notebook has them (nbmake has checked its claims at the shipped small scale; the page is what is tested
# here), "all" at each notebook's shipped small scale
SET = os.environ.get("LAB_BROWSER", "flagship")
if SET not in ("flagship", "all", "rest"):
    raise ValueError(f"LAB_BROWSER must be 'flagship', 'all' or 'rest'; got {SET!r}")
ALL = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
NOTEBOOKS = {"flagship": [n for n in FLAGSHIP if n in ALL], "all": ALL,
             "rest": [n for n in ALL if n not in FLAGSHIP]}[SET]


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).is_file():
        return "Chromium is not installed (apt-get install chromium; .ci/run installs it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    if not JUPYTER.exists():
        return "jupyter is not installed in this environment"
    return None


def _launch(p):
    return p.chromium.launch(executable_path=CHROMIUM, headless=True,
                             args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                                   "--disable-background-networking", "--disable-component-update",
                                   "--no-first-run", "--disable-sync"])


def _check_can_run() -> None:
    reason = _skip_reason()
    if reason and os.environ.get("CI") == "true":
        pytest.fail(f"the browser test must run in CI: {reason}")
    if reason:
        pytest.skip(reason)


# The kernel of each notebook gets that notebook's settings: the server starts its kernels with an IPython
# startup file that reads the environment written for the notebook (JPY_SESSION_NAME is the notebook's path).
KERNEL_STARTUP = """import json as _j, os as _o, pathlib as _p
_f = _p.Path(%r) / (_p.Path(_o.environ.get("JPY_SESSION_NAME", "")).stem + ".json")
if _f.is_file():
    _o.environ.update(_j.loads(_f.read_text()))
del _j, _o, _p, _f
"""


@contextlib.contextmanager
def lab_server(tmp: Path):
    """`jupyter lab` as `make lab` starts it, with its own settings folder (autosave off, so the
    notebook on disk stays as it is). Its kernels take the environment that `kernel_env` wrote for their
    notebook: quick preset overrides and a temporary build folder."""
    settings = tmp / "settings" / "@jupyterlab" / "docmanager-extension"
    settings.mkdir(parents=True)
    (settings / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    startup = tmp / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (tmp / "kernel-env").mkdir()
    (startup / "00-notebook-env.py").write_text(KERNEL_STARTUP % str(tmp / "kernel-env"))
    token = "browsertest"
    # checkpoints go to the temporary folder too, not notebooks/.ipynb_checkpoints/
    extra = [f"--LabApp.user_settings_dir={tmp / 'settings'}", f"--LabApp.workspaces_dir={tmp / 'ws'}",
             f"--FileCheckpoints.checkpoint_dir={tmp / 'checkpoints'}"]
    with jupyter_lab(tmp, token, extra, env={"IPYTHONDIR": str(tmp / "ipython")}) as base:
        yield base, token, tmp / "kernel-env"


def kernel_env(folder: Path, name: str, overrides: dict | None, build: Path) -> None:
    """The environment the kernel of notebook `name` starts with (see KERNEL_STARTUP)."""
    # always a build folder of the test's own: a notebook without quick settings would otherwise write its claims
    # into build/claims over nbmake's (a browser page's timings share the machine with Chromium)
    (folder / f"{name}.json").write_text(json.dumps(quick_env(overrides, build)))


@pytest.fixture(scope="module")
def browser():
    _check_can_run()
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = _launch(p)
        yield b
        b.close()


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """One server and one browser context for the notebooks a test worker checks (each notebook in its own
    page and kernel): starting a server and loading JupyterLab's scripts into an empty cache cost about 10 s
    a notebook."""
    tmp = tmp_path_factory.mktemp("lab")
    with lab_server(tmp) as (base, token, env_folder):
        ctx = browser.new_context(viewport={"width": 1400, "height": 900})
        try:
            yield ctx, base, token, env_folder, tmp / "server.log"
        finally:
            ctx.close()


PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"

HASH_FIGURES = """(root) => Array.from(document.querySelectorAll(root + ' .js-plotly-plot')).map(el => {
  const data = (el.data || []).map(t => { const o = {}; for (const k in t) { const v = t[k];
    o[k] = (v && v.buffer instanceof ArrayBuffer) ? Array.from(v) : v; } return o; });
  return JSON.stringify(data); })"""

FIT = """(root) => Array.from(document.querySelectorAll(root + ' .js-plotly-plot')).map(el => {
  const fl = el._fullLayout || {};
  const box = el.parentElement.closest('.widget-box, .jp-OutputArea-output') || el.parentElement;
  return {width: fl.width || 0, container: box.getBoundingClientRect().width,
          own: Math.round(el.getBoundingClientRect().width), parent: Math.round(el.parentElement.getBoundingClientRect().width),
          responsive: !!(el._context && el._context.responsive), layoutWidth: (el.layout || {}).width === undefined ? 'unset' : (el.layout || {}).width,
          visible: el.checkVisibility ? el.checkVisibility({contentVisibilityAuto: true}) : null,
          title: String((((el.layout || {}).title) || {}).text || (el.layout || {}).title || '').slice(0, 60)}; })"""

# scrolls the first figure drawn wider than its column to the middle of the screen
SCROLL_TO_WIDE = """(root) => { for (const el of document.querySelectorAll(root + ' .js-plotly-plot')) {
  const fl = el._fullLayout || {};
  const box = el.parentElement.closest('.widget-box, .jp-OutputArea-output') || el.parentElement;
  if ((fl.width || 0) > box.getBoundingClientRect().width + 1) { el.scrollIntoView({block: 'center'}); return true; } }
  return false; }"""

# what each figure in the page shows: its trace count, points in its first trace and its title (a figure
# whose view was drawn from an empty state has no traces and no title)
FIGURE_STATE = """(root) => Array.from(document.querySelectorAll(root + ' .js-plotly-plot')).map(el => {
  const d = el.data || [], t = (el.layout || {}).title;
  return {traces: d.length, points: d.length && d[0].y ? d[0].y.length : 0,
          title: typeof t === 'string' ? t : ((t || {}).text || '')}; })"""

# data plotly.js took literally: plotly's "leave as it is" marker ("_undefined_", which anywidget does not turn
# back), or a trace whose x or y became a string (05's random-guess line was drawn at y = 0, 1 so)
UNDEFINED_DATA = """(root) => Array.from(document.querySelectorAll(root + ' .js-plotly-plot')).flatMap(el =>
  (el.data || []).flatMap((tr, i) => ['x', 'y', 'z'].filter(k => typeof tr[k] === 'string'
    || (Array.isArray(tr[k]) && tr[k].some(v => v === '_undefined_'))).map(k => `trace ${i} (${tr.name || ''}): ${k}`)))"""

IMAGES = """(root) => Array.from(document.querySelectorAll(root + ' .widget-image')).map(img => {
  const r = img.getBoundingClientRect(); return {w: r.width, h: r.height, src: img.src.slice(0, 64)}; })"""

# luminance (Rec. 709) standard deviation of each Open3D image, 0-255: a pale, washed-out render
# (notebook 09 before its post-processing fix: 8.5) fails, a legible one (26.9) passes
IMAGE_CONTRAST = """async (root) => { const out = [];
  for (const img of document.querySelectorAll(root + ' .widget-image')) {
    const bmp = await createImageBitmap(await (await fetch(img.src)).blob());
    const c = document.createElement('canvas'); c.width = bmp.width; c.height = bmp.height;
    const g = c.getContext('2d'); g.drawImage(bmp, 0, 0); const d = g.getImageData(0, 0, c.width, c.height).data;
    let s = 0, s2 = 0, n = 0;
    for (let i = 0; i < d.length; i += 4) { const y = 0.2126 * d[i] + 0.7152 * d[i + 1] + 0.0722 * d[i + 2];
      s += y; s2 += y * y; n++; }
    out.push(n ? Math.sqrt(Math.max(s2 / n - (s / n) ** 2, 0)) : 0); }
  return out; }"""
MIN_IMAGE_CONTRAST = 15.0

IMAGE_BYTES = """async (root) => { const out = [];
  for (const img of document.querySelectorAll(root + ' .widget-image')) {
    const buf = await (await fetch(img.src)).arrayBuffer(); const a = new Uint8Array(buf);
    let h = 0; for (let i = 0; i < a.length; i += 7) h = (h * 31 + a[i]) | 0; out.push(h); }
  return out; }"""


def _wait_run_all(page, timeout_s: float) -> None:
    deadline = time.time() + timeout_s
    idle_twice = 0
    while time.time() < deadline:
        prompts = page.eval_on_selector_all(f"{PANEL} .jp-CodeCell .jp-InputPrompt",
                                            "els => els.map(e => e.textContent.trim())")
        status = page.get_attribute(f"{PANEL} .jp-Notebook-ExecutionIndicator", "data-status")
        done = prompts and all(p.startswith("[") and p.endswith("]:") and p[1:-2].isdigit() for p in prompts)
        dialog = page.query_selector(".jp-Dialog")
        if dialog:
            raise AssertionError(f"a dialog blocks the page during Run All: {dialog.text_content()[:200]!r}")
        idle_twice = idle_twice + 1 if (done and status == "idle") else 0
        if idle_twice >= 2:
            return
        time.sleep(0.5)
    raise AssertionError(f"Run All did not finish within {timeout_s:.0f} s")


def _api(base: str, token: str, route: str, body: dict | None = None):
    import urllib.request
    req = urllib.request.Request(f"{base}/api/{route}", method="POST" if body is not None else "GET",
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def _start_session(base: str, token: str, path: str) -> dict:
    """Start the notebook's session (and its workbench kernel) through the server's sessions API before the
    page opens it, so that JupyterLab connects to that session; return the session's kernel model."""
    from lab.core.nbtemplate import KERNEL

    body = {"path": path, "name": path, "type": "notebook", "kernel": {"name": KERNEL["name"]}}
    session = _api(base, token, "sessions", body)
    assert session.get("kernel", {}).get("name") == KERNEL["name"], f"the sessions API started {session}"
    return session["kernel"]


def _session_kernel(base: str, token: str, path: str) -> dict:
    """The kernel model (id, name, execution_state, connections) of the server's session for `path`."""
    for s in _api(base, token, "sessions"):
        if s.get("path") == path:
            return s.get("kernel") or {}
    return {}


def _wait_connected(page, base: str, token: str, path: str, kernel: dict, timeout_s: float = 180) -> None:
    """Wait until the page's notebook is connected to `kernel`: the toolbar names the workbench kernel,
    the kernel is idle, and the server counts a connection to that kernel.

    The execution indicator reads "idle" before the notebook's session is connected, and a cell run
    while it is not (Run All under load) makes JupyterLab start a kernel of its own: one chosen from the
    notebook's language alone, the server's default ("Python 3 (ipykernel)" before the workbench
    kernel was made the default), which replaces the session's kernel while the cells already sent
    to the old one are lost. Run All then stopped after the first cell (CI, 00_start_here)."""
    from lab.core.nbtemplate import KERNEL

    deadline, seen = time.time() + timeout_s, {}
    while time.time() < deadline:
        shown = (page.text_content(f"{PANEL} .jp-KernelName") or "").strip()
        status = page.get_attribute(f"{PANEL} .jp-Notebook-ExecutionIndicator", "data-status")
        seen = _session_kernel(base, token, path)
        if (shown == KERNEL["display_name"] and status == "idle" and seen.get("id") == kernel["id"]
                and seen.get("connections", 0) >= 1 and seen.get("execution_state") == "idle"):
            return
        time.sleep(0.5)
    raise AssertionError(f"the notebook did not connect to its kernel within {timeout_s:.0f} s: the toolbar shows "
                         f"{shown!r} ({status}), the server's session kernel is {seen}, started {kernel['id']}")


def _prompts(page) -> list[str]:
    return page.eval_on_selector_all(f"{PANEL} .jp-CodeCell .jp-InputPrompt", "els => els.map(e => e.textContent.trim())")


def _run_all(page, tries: int = 4) -> None:
    """Run ▸ Run All Cells, again if no cell started within 20 s (the kernel's websocket may still be
    connecting when the menu is first used)."""
    for _ in range(tries):
        page.click(f"{PANEL} .jp-Cell .jp-InputArea-prompt >> nth=0")
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        deadline = time.time() + 20
        while time.time() < deadline:
            if any(p not in ("[ ]:", "") for p in _prompts(page)):
                return
            if page.query_selector(".jp-Dialog"):
                raise AssertionError(f"a dialog blocks the page: {page.text_content('.jp-Dialog')[:200]!r}")
            time.sleep(0.5)
    raise AssertionError("Run All Cells started no cell")


def _errors(page) -> list[str]:
    texts = page.eval_on_selector_all(
        f"{PANEL} .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']",
        "els => els.map(e => e.textContent)")
    return [t[:400] for t in texts if "Traceback" in t or "Error" in t]


def _log_noise(page) -> list[str]:
    # printed output only (stdout, stderr): a widget's own text may hold the letters (15's "...PE" + "GLB")
    texts = page.eval_on_selector_all(
        f"{PANEL} .jp-OutputArea-output[data-mime-type^='application/vnd.jupyter.std']",
        "els => els.map(e => e.textContent)")
    noise = ("WebVisualizer", "FEngine", "llvmpipe", "EGL")
    return [t[:200] for t in texts if any(n in t for n in noise)]


def _drag(page, handle, track) -> None:
    """Press the handle and move it right by a third of the track, in 8 steps, as a hand would."""
    handle.scroll_into_view_if_needed()
    # cells above may still be laying out after the scroll (JupyterLab skips the layout of cells out of
    # view): wait until the handle stays put, so the press lands on it
    box, deadline, still = handle.bounding_box(), time.time() + 10, 0
    while time.time() < deadline and still < 2:   # the same place in two checks in a row, 0.6 s apart
        time.sleep(0.3)
        again = handle.bounding_box()
        still = still + 1 if again == box else 0
        box = again
    width = track.bounding_box()["width"] if track else 120
    dx = width / 3 if box["x"] + width / 3 < track.bounding_box()["x"] + width else -width / 3
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, 9):
        page.mouse.move(x + dx * i / 8, y)
    page.mouse.up()


def _wait_change(page, before_fig, before_img, timeout_s=60.0) -> bool:
    deadline = time.time() + timeout_s
    while time.time() < deadline:
        time.sleep(0.5)
        if page.evaluate(HASH_FIGURES, PANEL) != before_fig or page.evaluate(IMAGE_BYTES, PANEL) != before_img:
            return True
    return False


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebook_in_the_browser(lab, name, tmp_path):
    ctx, base, token, env_folder, server_log = lab
    overrides = QUICK.get(name) if SET in ("flagship", "rest") else None
    kernel_env(env_folder, name, overrides, tmp_path / "build")
    start = server_log.stat().st_size
    try:
        _check_notebook(ctx, base, token, name)
    finally:  # the server's and the kernel's log lines written while this notebook was under test
        (ROOT / "build" / "browser").mkdir(parents=True, exist_ok=True)
        with open(server_log, "rb") as f:
            f.seek(start)
            (ROOT / "build" / "browser" / f"{name}-server.log").write_bytes(f.read())


def _check_notebook(ctx, base, token, name):
    path = ROOT / "notebooks" / f"{name}.ipynb"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    shots = ROOT / "build" / "browser"
    shots.mkdir(parents=True, exist_ok=True)
    page = ctx.new_page()
    slow = float(os.environ.get("LAB_BROWSER_SLOWDOWN", "1"))
    if slow > 1:  # a slower browser (Chrome's CPU throttling), as on a busy machine
        ctx.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": slow})
    t0, phases = time.time(), {}

    def phase(label):
        phases[label] = round(time.time() - t0, 1)
    dialogs, console = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # console.error's Error arguments reach the log as their message and stack, not as "JSHandle@error"
    page.add_init_script("(() => { const e = console.error.bind(console); console.error = (...a) => e(...a.map("
                         "x => x instanceof Error ? `${x.name}: ${x.message}` : x)); })()")
    page.on("console", lambda m: console.append(f"{time.time() - t0:7.1f} s {m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"{time.time() - t0:7.1f} s page error: {e}"))
    try:
        kernel = _start_session(base, token, f"{name}.ipynb")
        page.goto(f"{base}/lab?token={token}&reset", timeout=120_000)
        page.wait_for_selector(".jp-DirListing-item", timeout=120_000)
        page.wait_for_selector(".jp-LauncherCard", timeout=120_000)  # kernel specs are loaded
        phase("lab loaded")
        page.dblclick(f'.jp-DirListing-item[title^="Name: {name}.ipynb"]')
        _wait_connected(page, base, token, f"{name}.ipynb", kernel)
        assert not page.query_selector(".jp-Dialog"), "a dialog blocks the page after opening"
        phase("kernel idle")
        _run_all(page)
        try:
            _wait_run_all(page, RUN_SECONDS)
        finally:
            now = _session_kernel(base, token, f"{name}.ipynb")
            assert now.get("id") == kernel["id"], (f"{name}: the page changed the notebook's kernel during Run All, "
                                                   f"from {kernel['name']} {kernel['id']} to {now}")
        phase("run all done")
        page.screenshot(path=str(shots / f"{name}-run.png"), full_page=False)
        assert not page.query_selector(".jp-Dialog"), "a dialog blocks the page after Run All"
        assert not dialogs, f"browser dialogs: {dialogs}"
        # a widget the page could not open is missing or blank on the page (an anywidget whose module did
        # not load in time, a comm target the page does not have)
        broken = [c for c in console if "Exception opening new comm" in c or "Failed to initialize model" in c]
        assert not broken, f"{name}: widgets the page could not open: {broken}"
        errs = _errors(page)
        assert not errs, f"{name}: error outputs: {errs}"
        assert not _log_noise(page), f"{name}: log noise in the outputs: {_log_noise(page)}"

        explorer = page.query_selector(f"{PANEL} .jp-OutputArea-output .widget-hbox:has(.widget-slider)")
        assert explorer, f"{name}: no explorer with a slider in the page"
        explorer.scroll_into_view_if_needed()
        time.sleep(1.0)
        fits = page.evaluate(FIT, PANEL)
        assert fits, f"{name}: no plotly figure in the page"
        # a late update from the kernel, or a figure still being drawn on a busy machine, can still resize
        # a figure: give it up to 15 s to fit (a quiet machine needs well under a second)
        # a figure below the screen is fitted when it comes on screen (lab.core.plotting's IntersectionObserver),
        # as a reader scrolling to it sees it: bring each wide one on screen before judging it
        deadline = time.time() + 15
        while time.time() < deadline and any(f["width"] > f["container"] + 1 for f in fits):
            page.evaluate(SCROLL_TO_WIDE, PANEL)
            time.sleep(0.5)
            fits = page.evaluate(FIT, PANEL)
        wide = [f for f in fits if f["width"] > f["container"] + 1]
        assert not wide or name in KNOWN_WIDE, f"{name}: figures wider than their column: {wide}"
        images = page.evaluate(IMAGES, PANEL)
        small = [im for im in images if im["w"] < 240 or im["h"] < 160]
        assert not small, f"{name}: Open3D images too small to see: {small}"
        if images:
            contrast = page.evaluate(IMAGE_CONTRAST, PANEL)
            pale = [round(c, 1) for c in contrast if c < MIN_IMAGE_CONTRAST]
            assert not pale, (f"{name}: Open3D images too pale (luminance std {pale} < {MIN_IMAGE_CONTRAST}); "
                              "see build/browser/")

        # the fit check may have scrolled to a figure below, and a figure fitted on screen re-lays out the page
        # around it: come back to the explorer and let the page settle before the drag
        explorer.scroll_into_view_if_needed()
        time.sleep(1.0)
        before_fig, before_img = page.evaluate(HASH_FIGURES, PANEL), page.evaluate(IMAGE_BYTES, PANEL)
        before_state = page.evaluate(FIGURE_STATE, PANEL)
        empty = [f for f in before_state if not f["traces"]]
        assert not empty, f"{name}: figures with no trace after Run All: {before_state}"
        handle = explorer.query_selector(".widget-slider .noUi-handle")
        assert handle, f"{name}: the explorer's slider has no handle"
        _drag(page, handle, explorer.query_selector(".widget-slider .noUi-target"))
        moved = _wait_change(page, before_fig, before_img)
        phase("drag answered")
        assert moved or name in KNOWN_STILL, (
            f"{name}: dragging a slider changed no figure; slider readouts "
            f"{explorer.eval_on_selector_all('.widget-readout', 'els => els.map(e => e.textContent)')}, "
            f"figures before {before_state}, after {page.evaluate(FIGURE_STATE, PANEL)}")
        selects = explorer.query_selector_all(".widget-dropdown select:not([disabled])")
        if selects:  # a control dropdown if there is one (the first may be the presets)
            select = selects[-1]
            options = select.eval_on_selector_all("option", "os => os.map(o => o.value)")
            current = select.evaluate("s => s.value")
            changed = False
            for other in [o for o in options if o != current and o != "(custom)"][:3]:
                before_fig, before_img = page.evaluate(HASH_FIGURES, PANEL), page.evaluate(IMAGE_BYTES, PANEL)
                select.select_option(other)
                if _wait_change(page, before_fig, before_img, timeout_s=30):
                    changed = True
                    break
            assert changed or len(options) < 2, f"{name}: choosing in a dropdown changed no figure"
        phase("dropdown answered")
        taken = page.evaluate(UNDEFINED_DATA, PANEL)
        assert not taken, f"{name}: figure data plotly.js took literally (a string for x/y/z): {taken}"
        explorer.screenshot(path=str(shots / f"{name}-explorer.png"))
        page.click(".lm-MenuBar-itemLabel:text-is('Kernel')")
        page.click(".lm-Menu-itemLabel:text-is('Shut Down Kernel')")
        time.sleep(0.5)
    finally:
        page.screenshot(path=str(shots / f"{name}-last.png"))
        page.close()
        phase("closed")
        (shots / f"{name}-timing.json").write_text(json.dumps(phases))
        (shots / f"{name}-console.log").write_text("\n".join(console) + "\n")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest, f"{name}.ipynb was modified on disk"
    if not moved:
        pytest.xfail(f"{name}: dragging a slider changed no figure: {KNOWN_STILL[name]}")
    if wide:
        pytest.xfail(f"{name}: figures wider than their column {wide}: {KNOWN_WIDE[name]}")


@pytest.mark.skipif(SET == "rest", reason="make test ran it")
def test_handout_renders_offline(browser, tmp_path):
    """A handout page opened from disk with every network request refused still shows its figures
    and typesets its maths (plotly.js and MathJax come from the pack's own folder)."""
    from lab.__main__ import execute
    from lab.core import handouts

    entry = registry_entry = __import__("lab.core.registry", fromlist=["by_name"]).by_name("03")
    with pytest.MonkeyPatch.context() as mp:  # quick settings; its claims go to a temporary build folder
        for k, v in quick_env(QUICK[entry.name], tmp_path / "build").items():
            mp.setenv(k, v)
        executed = execute(entry.name, "small", handout=True, overrides=QUICK[entry.name])
    page_path = handouts.write_page(executed, registry_entry, out=tmp_path, pdf=True)
    assert page_path.with_suffix(".pdf").is_file() and page_path.with_suffix(".pdf").stat().st_size > 10_000
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    refused = []

    def route(r):
        if r.request.url.startswith("file:"):
            r.continue_()
        else:
            refused.append(r.request.url)
            r.abort()
    ctx.route("**/*", route)
    page = ctx.new_page()
    try:
        page.goto(page_path.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
        page.wait_for_function("() => window.MathJax && document.querySelectorAll('.MathJax_CHTML, mjx-container, .MathJax').length > 0",
                               timeout=60_000)
        shots = ROOT / "build" / "browser"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "handout-offline.png"))
        n_plots = page.evaluate("() => document.querySelectorAll('.js-plotly-plot .main-svg').length")
        assert n_plots >= 2, f"only {n_plots} figures rendered offline"
    finally:
        ctx.close()
    assert not refused, f"the handout tried to fetch from a network: {refused[:5]}"
