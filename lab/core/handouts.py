"""Handouts a teacher can hand out: a folder that works offline, and student versions.

`build_pack(...)` writes `build/handouts/`:

* one HTML page per executed notebook, plus `index.html`, all sharing one local copy of
  plotly.js (`plotly.min.js`) and of MathJax (`mathjax/`, from the jupyter-server-mathjax
  package), so the folder opens without a network and each page stays small;
* the cells that drive explorers in code (tagged ``explorer-check``) and papermill's injected
  parameters cell are left out; the claims table appears once (the notebook's own last cell);
* a PDF per page, printed by headless Chromium where it is installed.

`student_version(...)` writes the student version of a notebook's Exercises section as nbgrader's
`generate_assignment` would (`lab.core.exercises`: solutions replaced by ``raise NotImplementedError()``,
written answers by "YOUR ANSWER HERE", hidden tests left out).
"""
from __future__ import annotations

import html as _html
import re
import shutil
import subprocess
from pathlib import Path

from .checks import check_type
from .exercises import student_notebook
from .paths import build_dir

DROP_TAGS = {"explorer-check", "injected-parameters"}
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
CLAIMS_MARK = "<table class='lab-claims'>"  # how lab.core.claims.ClaimTable renders
NOTE = ("<p><i>Interactive explorer: open this notebook in JupyterLab (<code>make lab</code>) to use its "
        "controls. The figures below it are snapshots.</i></p>")
MATHJAX_KEEP = ("MathJax.js", "config", "extensions", "jax/input", "jax/output/HTML-CSS", "jax/element",
                "localization/en", "fonts/HTML-CSS/STIX-Web/woff")
# jupyter-server-mathjax ships the STIX-Web web fonts (not MathJax's TeX fonts): tell HTML-CSS to use them
MATHJAX_FONTS = ('<script type="text/x-mathjax-config">MathJax.Hub.Config({"HTML-CSS": {availableFonts: '
                 '["STIX-Web"], preferredFont: "STIX-Web", webFont: "STIX-Web", imageFont: null}});</script>')
MATHJAX_CONFIG = "TeX-AMS-MML_HTMLorMML-full,Safe"  # the configuration jupyter-server-mathjax ships


def student_version(name: str, out_dir: Path | None = None) -> Path:
    """Write the student version of notebook `name` ('03', 'synapse', ...) to build/student/, and the
    instructor's key (the notebook with its solutions, model answers and hidden tests) to
    build/student/key/. Returns the student version's path."""
    import nbformat

    from . import registry

    entry = registry.by_name(name)
    reference = nbformat.read(entry.path, as_version=4)
    nb = student_notebook(reference)
    out_dir = Path(out_dir) if out_dir is not None else build_dir("student")
    (out_dir / "key").mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{entry.name}.ipynb"
    nbformat.write(nb, path)
    nbformat.write(reference, out_dir / "key" / f"{entry.name}.ipynb")
    return path


def _page(executed: Path, title: str) -> str:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    nb.metadata.pop("widgets", None)  # live widget state needs a kernel; handouts show snapshots instead
    keep = []
    for cell in nb.cells:
        if DROP_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": NOTE})
                            if WIDGET_MIME in o.get("data", {}) else o for o in cell.get("outputs", [])]
        keep.append(cell)
    # rec.check(...) returns the claims table so far, so a notebook shows it growing after each claim
    # cell; the handout keeps the last (complete) one only
    tables = [(c, o) for c in keep if c.cell_type == "code" for o in c.outputs if _is_claims_table(o)]
    for c, o in tables[:-1]:
        c.outputs = [x for x in c.outputs if x is not o]
    nb.cells = keep
    exporter = HTMLExporter(template_name="lab")
    exporter.mathjax_url = f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    exporter.require_js_url = "REQUIRE_JS_NOT_NEEDED"
    body, _ = exporter.from_notebook_node(nb)
    body = body.replace('<script src="REQUIRE_JS_NOT_NEEDED"></script>', "")
    body = body.replace("<title>Notebook</title>", f"<title>{_html.escape(title)}</title>")
    return body.replace("</title>", f"</title>\n<script src=\"plotly.min.js\"></script>\n{MATHJAX_FONTS}", 1)


def _is_claims_table(output) -> bool:
    html = output.get("data", {}).get("text/html", "")
    return CLAIMS_MARK in ("".join(html) if isinstance(html, list) else html)


def remote_references(page: str) -> list[str]:
    """Scripts, styles and images the page would fetch from a network (none in a good handout)."""
    check_type("page", page, str)
    return re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="(https?://[^"]+)"', page)


def _copy_assets(out: Path) -> None:
    import plotly
    import jupyter_server_mathjax

    js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    shutil.copyfile(js, out / "plotly.min.js")
    src = Path(jupyter_server_mathjax.__file__).parent / "static"
    dst = out / "mathjax"
    if not (dst / "MathJax.js").is_file():
        for part in MATHJAX_KEEP:
            s = src / part
            if s.is_dir():
                shutil.copytree(s, dst / part, dirs_exist_ok=True)
            elif s.is_file():
                (dst / part).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(s, dst / part)


def _index(entries, sizes: dict[str, int]) -> str:
    rows = []
    for e in entries:
        if e.name in sizes:
            pdf = f" · <a href='{e.name}.pdf'>PDF</a>" if (build_dir("handouts") / f"{e.name}.pdf").is_file() else ""
            rows.append(f"<li><a href='{e.name}.html'>{e.number:02d} · {_html.escape(e.title)}</a>"
                        f" <small>({sizes[e.name] / 1e6:.1f} MB{pdf})</small></li>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>MLNC workbench handouts</title>"
            "<style>body{font-family:Helvetica,Arial,sans-serif;max-width:900px;margin:2em auto}li{margin:.4em 0}"
            "</style></head><body><h1>MLNC workbench: handouts</h1><p>Executed notebooks, one page each. "
            "The folder works offline: open any page in a browser.</p><ul>" + "".join(rows) + "</ul></body></html>")


def print_pdf(page: Path, chromium: str | None = None) -> Path | None:
    """Print an HTML page to PDF with headless Chromium; None where Chromium is not installed."""
    chromium = chromium or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return None
    pdf = page.with_suffix(".pdf")
    subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", "--virtual-time-budget=20000",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.resolve().as_uri()],
                   check=True, capture_output=True, timeout=300)
    return pdf


def write_page(executed: Path, entry, out: Path | None = None, pdf: bool = True) -> Path:
    """Turn one executed notebook into `<out>/<name>.html` (and its PDF); returns the page's path."""
    check_type("executed", executed, Path)
    out = Path(out) if out is not None else build_dir("handouts")
    out.mkdir(parents=True, exist_ok=True)
    _copy_assets(out)
    path = out / f"{entry.name}.html"
    path.write_text(_page(executed, entry.title), encoding="utf-8")
    if pdf:
        print_pdf(path)
    return path


def write_index(entries, out: Path | None = None) -> Path:
    out = Path(out) if out is not None else build_dir("handouts")
    sizes = {e.name: (out / f"{e.name}.html").stat().st_size for e in entries if (out / f"{e.name}.html").is_file()}
    path = out / "index.html"
    path.write_text(_index(entries, sizes), encoding="utf-8")
    return path
