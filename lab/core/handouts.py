"""Handouts a teacher can hand out: a folder that works offline, and student versions.

`build_pack(...)` writes `build/handouts/`:

* one HTML page per executed notebook, plus `index.html`, all sharing one local copy of
  plotly.js (`plotly.min.js`) and of MathJax (`mathjax/`, from the jupyter-server-mathjax
  package), so the folder opens without a network and each page stays small;
* the cells that drive explorers in code (tagged ``explorer-check``) and papermill's injected
  parameters cell are left out; the claims table appears once (the notebook's own last cell);
* a PDF per page, printed by headless Chromium where it is installed (a warning, not silence, where it is not);
* each page stamped with the scale, date and commit it was executed at, and linked to its notebook and its
  student version (copied into `notebooks/` and `student/` beside the pages, so the pack stays whole offline);
* an index that is a course map: the notebooks grouped by field, in the report's order within each group.

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
# the handout index as a course map: report numbers grouped by field (00, the start page, comes first)
COURSE_MAP = (
    ("Devices and circuits for neuromorphic computing", (3, 10)),
    ("Efficient machine learning and its hardware", (1, 7, 13, 8, 15, 5)),
    ("Sensing, imaging and perception", (2, 6, 11, 9, 12)),
    ("Quantum machine learning", (14,)),
    ("Learning algorithms: representation, control and distributed training", (4, 16, 17)),
)
STAMP_STYLE = ("<style>.lab-stamp{font:13px Helvetica,Arial,sans-serif;color:#444;background:#f4f4f4;"
               "border-bottom:1px solid #ddd;padding:.5em 1em;margin:0 0 1em 0}</style>")


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


def _page(executed: Path, title: str, stamp: str = "") -> str:
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
    # the dropped cells (papermill's injected parameters above all) left gaps in the prompts: In [1], In [3], ...
    n = 0
    for cell in keep:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            n += 1
            cell.execution_count = n
            for o in cell.outputs:
                if o.get("output_type") == "execute_result":
                    o["execution_count"] = n
    exporter = HTMLExporter(template_name="lab")
    exporter.mathjax_url = f"mathjax/MathJax.js?config={MATHJAX_CONFIG}"
    exporter.require_js_url = "REQUIRE_JS_NOT_NEEDED"
    body, _ = exporter.from_notebook_node(nb)
    body = body.replace('<script src="REQUIRE_JS_NOT_NEEDED"></script>', "")
    body = body.replace("<title>Notebook</title>", f"<title>{_html.escape(title)}</title>")
    body = body.replace("</title>", f"</title>\n<script src=\"plotly.min.js\"></script>\n{MATHJAX_FONTS}\n{STAMP_STYLE}", 1)
    if stamp:
        body = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + f"\n<div class='lab-stamp'>{stamp}</div>", body, count=1)
    return body


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


def _index(entries, sizes: dict[str, int], out: Path) -> str:
    by_number = {getattr(e, "number", None): e for e in entries if e.name in sizes}

    def row(e) -> str:
        links = [f"<a href='{e.name}.html'>page</a> <small>({sizes[e.name] / 1e6:.1f} MB)</small>"]
        if (out / f"{e.name}.pdf").is_file():
            links.append(f"<a href='{e.name}.pdf'>PDF</a>")
        if (out / "notebooks" / f"{e.name}.ipynb").is_file():
            links.append(f"<a href='notebooks/{e.name}.ipynb'>notebook</a>")
        if (out / "student" / f"{e.name}.ipynb").is_file():
            links.append(f"<a href='student/{e.name}.ipynb'>student version</a>")
        who = " · ".join(_html.escape(x) for x in (getattr(e, "authors", ""), getattr(e, "venue", "")) if x)
        return (f"<li><b>{getattr(e, 'number', 0):02d}</b> {_html.escape(e.title)}"
                f"{f' <small>({who})</small>' if who else ''}<br>{' · '.join(links)}</li>")

    parts = []
    if 0 in by_number:
        parts.append(f"<h2>Start here</h2><ul>{row(by_number.pop(0))}</ul>")
    for section, numbers in COURSE_MAP:
        rows = [row(by_number.pop(n)) for n in numbers if n in by_number]
        if rows:
            parts.append(f"<h2>{_html.escape(section)}</h2><ul>{''.join(rows)}</ul>")
    if by_number:  # a notebook the map does not place yet
        parts.append("<h2>Other notebooks</h2><ul>" + "".join(row(e) for e in by_number.values()) + "</ul>")
    pdfs = any(out.glob("*.pdf"))
    note = ("" if pdfs else "<p><b>No PDFs:</b> Chromium was not found when the pack was built "
            "(<code>apt-get install chromium</code>, then <code>make handouts</code> again).</p>")
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>MLNC workbench handouts</title>"
            "<style>body{font-family:Helvetica,Arial,sans-serif;max-width:900px;margin:2em auto}li{margin:.6em 0}"
            "h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ddd}</style></head><body>"
            "<h1>MLNC workbench: handouts</h1><p>Executed notebooks, one page each, grouped by field as a course "
            "would take them. The folder works offline: open any page in a browser. Each page names the scale, "
            "date and commit it was executed at; the notebook and, where it has exercises, its student version "
            "sit beside it.</p>" + note + "".join(parts) + "</body></html>")


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


def _stamp(entry, out: Path, scale: str, commit: str) -> str:
    """The line at the top of a page: scale, date, commit, and the links to the notebook, its student
    version and the index (the notebook and student version are copied into the pack)."""
    import datetime

    import nbformat

    from .exercises import has_exercises

    links = ["<a href='index.html'>all handouts</a>"]
    source = getattr(entry, "path", None)
    if isinstance(source, Path) and source.is_file():
        (out / "notebooks").mkdir(exist_ok=True)
        shutil.copyfile(source, out / "notebooks" / source.name)
        links.append(f"<a href='notebooks/{source.name}'>notebook</a>")
        if has_exercises(nbformat.read(source, as_version=4)):
            student_version(entry.name, out_dir=out / "student")
            shutil.rmtree(out / "student" / "key", ignore_errors=True)  # the instructor's key stays out of the pack
            links.append(f"<a href='student/{entry.name}.ipynb'>student version</a>")
    day = datetime.date.today().isoformat()
    return (f"Executed at scale <b>{_html.escape(scale)}</b> on {day} from commit <code>{_html.escape(commit)}</code>"
            f" · " + " · ".join(links))


def write_page(executed: Path, entry, out: Path | None = None, pdf: bool = True, scale: str = "small",
               commit: str = "") -> Path:
    """Turn one executed notebook into `<out>/<name>.html` (and its PDF), stamped with `scale`, today's date
    and `commit` and linked to its notebook and student version; returns the page's path. Where `pdf` is
    asked for and Chromium is missing, warns (the page is written without its PDF)."""
    import warnings

    check_type("executed", executed, Path)
    check_type("scale", scale, str)
    check_type("commit", commit, str)
    out = Path(out) if out is not None else build_dir("handouts")
    out.mkdir(parents=True, exist_ok=True)
    _copy_assets(out)
    path = out / f"{entry.name}.html"
    path.write_text(_page(executed, entry.title, _stamp(entry, out, scale, commit or "unknown")), encoding="utf-8")
    if pdf and print_pdf(path) is None:
        warnings.warn(f"{entry.name}: no PDF printed: Chromium was not found (apt-get install chromium)", stacklevel=2)
    return path


def write_index(entries, out: Path | None = None) -> Path:
    out = Path(out) if out is not None else build_dir("handouts")
    sizes = {e.name: (out / f"{e.name}.html").stat().st_size for e in entries if (out / f"{e.name}.html").is_file()}
    path = out / "index.html"
    path.write_text(_index(entries, sizes, out), encoding="utf-8")
    return path
