"""Handouts a teacher can hand out: a folder that works offline, and student versions.

`build_pack(...)` writes `build/handouts/`:

* one HTML page per executed notebook, plus `index.html`, all sharing one local copy of
  plotly.js (`plotly.min.js`) and of MathJax (`mathjax/`, from the jupyter-server-mathjax
  package), so the folder opens without a network and each page stays small;
* the cells that drive explorers in code (tagged ``explorer-check``) and papermill's injected
  parameters cell are left out; the claims table appears once (the notebook's own last cell);
* large heatmaps that show no hover values (SPGF's depth images: 240 x 320 cells, 0.4 MB of numbers each)
  drawn as lossless WebP images in the same axes, with the same colours and colour bar (about 30 kB each), so
  every page stays within `PAGE_BUDGET` (3 MB); a page over it is reported with a warning;
* a PDF per page, printed by headless Chromium where it is installed (a warning, not silence, where it is not);
* each page stamped with the scale, date and commit it was executed at, and linked to its notebook and its
  student version (copied into `notebooks/` and `student/` beside the pages, so the pack stays whole offline);
* an index that is a course map: the notebooks grouped by field, in the report's order within each group.

`write_book_source(...)` and `build_book(...)` make the same executed notebooks, as the pages show them, a Jupyter
Book 1 site (`make book`, build/book/_build/html): the course map as its table of contents (`book_toc`), search,
numbered equations, and plotly.js and MathJax from the book itself, so it too works offline.

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

from .checks import check_int, check_number, check_type
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
PAGE_BUDGET = 3_000_000  # bytes: a page over it is slow to open and to mail; the build warns
IMAGE_CELLS = 20_000  # a heatmap with at least this many cells and no hover values becomes an image in the page
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


def handout_notebook(executed: Path):
    """Executed notebook `executed` as a handout shows it: without the explorer-check and injected parameters
    cells, explorers replaced by a note (their snapshots follow), the claims table once, the prompts numbered
    1, 2, 3, ... and large hover-less heatmaps drawn as images (`compact_figures`). The handout pages and the
    course book both show this notebook."""
    import nbformat

    check_type("executed", executed, Path)
    nb = nbformat.read(executed, as_version=4)
    nb.metadata.pop("widgets", None)  # live widget state needs a kernel; handouts show snapshots instead
    keep = []
    for cell in nb.cells:
        if DROP_TAGS & set(cell.metadata.get("tags", [])):
            continue
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": NOTE})
                            if WIDGET_MIME in o.get("data", {}) else o for o in cell.get("outputs", [])]
            for o in cell.outputs:
                html = o.get("data", {}).get("text/html")
                if html is not None and "Plotly.newPlot(" in "".join(html):
                    o["data"]["text/html"] = compact_figures("".join(html))
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
    return nb


def _page(executed: Path, title: str, stamp: str = "") -> str:
    from nbconvert import HTMLExporter

    nb = handout_notebook(executed)
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


def compact_figures(html: str, min_cells: int = IMAGE_CELLS) -> str:
    """The figures of a plotly HTML output (``Plotly.newPlot(id, data, layout, config)``, as
    `lab.core.plotting.HandoutRenderer` writes them) with every heatmap of at least `min_cells` cells that shows
    no hover values (``hoverinfo`` "skip" or "none") redrawn as a lossless WebP image trace: the same cells, colours,
    axes and colour bar, in a tenth of the bytes. Heatmaps with hover values, or with settings the image cannot
    reproduce (gaps, smoothing, a shared colour axis, uneven spacing), are left as they are."""
    import json

    check_type("html", html, str)
    min_cells = check_int("min_cells", min_cells, lo=1, hi=10 ** 9)
    out, pos, decoder = [], 0, json.JSONDecoder()
    while (start := html.find("Plotly.newPlot(", pos)) >= 0:
        args, end = [], start + len("Plotly.newPlot(")
        try:
            for _ in range(4):  # the div's id, data, layout, config
                end = len(html) - len(html[end:].lstrip(" \n\t,"))
                value, end = decoder.raw_decode(html, end)
                args.append(value)
        except ValueError:  # not the call plotly writes: leave it
            out.append(html[pos:start + 1])
            pos = start + 1
            continue
        div, data, layout, config = args
        if isinstance(data, list) and isinstance(layout, dict):
            traces = []
            for t in data:
                traces += _heatmap_as_image(t, layout, min_cells) or [t]
            data = traces
        out.append(html[pos:start] + "Plotly.newPlot(\n" + ",\n".join(json.dumps(a, separators=(",", ":"))
                                                             for a in (div, data, layout, config)))
        pos = end
    out.append(html[pos:])
    return "".join(out)


def _plotly_array(value):
    """A plotly JSON array (a list, or plotly's typed array {dtype, bdata, shape}) as a float numpy array."""
    import base64

    import numpy as np

    if isinstance(value, dict) and isinstance(value.get("bdata"), str):
        shape = [int(n) for n in str(value.get("shape", "-1")).split(",")]
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"]).newbyteorder("<")
                             ).reshape(shape).astype(float)
    return np.array([[np.nan if v is None else v for v in row] if isinstance(row, list) else
                     (np.nan if row is None else row) for row in value], dtype=float)


def _heatmap_as_image(t: dict, layout: dict, min_cells: int) -> list[dict] | None:
    """An image trace (and, where the heatmap had one, its colour bar on two transparent cells) drawing heatmap `t`;
    None where `t` is not a large hover-less heatmap this can draw exactly. Sets the trace's y axis to keep
    the heatmap's orientation (plotly reverses the y axis of images by default)."""
    import base64
    import io

    import numpy as np
    from PIL import Image
    from plotly import colors as pc

    if t.get("type") != "heatmap" or t.get("hoverinfo") not in ("skip", "none") or t.get("visible") is False:
        return None
    if any(t.get(k) for k in ("xgap", "ygap", "zsmooth", "transpose", "coloraxis", "text", "texttemplate")):
        return None
    try:
        z = _plotly_array(t["z"])
        template = layout.get("template") or {}
        scale = (t.get("colorscale") or ((template.get("data") or {}).get("heatmap") or [{}])[0].get("colorscale")
                 or ((template.get("layout") or {}).get("colorscale") or {}).get("sequential"))
        scale = pc.get_colorscale(scale) if isinstance(scale, str) else scale
        stops = np.array([float(p) for p, _ in scale])
        rgb = np.array([pc.hex_to_rgb(c) if c.startswith("#") else pc.unlabel_rgb(c)
                        for _, c in scale], dtype=float)
    except (KeyError, ValueError, TypeError, IndexError, AttributeError, pc.PlotlyError):
        return None  # no colour scale it can read: left to plotly
    if z.ndim != 2 or z.size < min_cells or rgb.shape != (len(stops), 3):
        return None
    grid = {}
    for axis, n in (("x", z.shape[1]), ("y", z.shape[0])):
        if axis in t:
            c = _plotly_array(t[axis]).ravel()
            step = np.diff(c)
            if len(c) != n or not len(step) or not np.allclose(step, step[0]):
                return None  # cell edges or uneven spacing: not one image
            grid[axis] = (float(c[0]), float(step[0]))
        else:
            grid[axis] = (float(t.get(f"{axis}0", 0)), float(t.get(f"d{axis}", 1)))
    finite = np.isfinite(z)
    if not finite.any():
        return None
    lo, hi = float(np.min(z[finite])), float(np.max(z[finite]))  # plotly's automatic range
    if t.get("zauto") is not True and (t.get("zmin") is not None or t.get("zmax") is not None):
        lo = float(t["zmin"]) if t.get("zmin") is not None else lo
        hi = float(t["zmax"]) if t.get("zmax") is not None else hi
    elif t.get("zmid") is not None:
        half = max(abs(hi - t["zmid"]), abs(lo - t["zmid"]))
        lo, hi = t["zmid"] - half, t["zmid"] + half
    if t.get("reversescale"):
        stops, rgb = 1 - stops[::-1], rgb[::-1]
    frac = np.clip((np.where(finite, z, lo) - lo) / ((hi - lo) or 1.0), 0, 1)
    pixels = np.stack([np.interp(frac, stops, rgb[:, k]) for k in range(3)] + [np.where(finite, 255.0, 0.0)], -1)
    buf = io.BytesIO()
    Image.fromarray(np.rint(pixels).astype(np.uint8), "RGBA").save(buf, "WEBP", lossless=True, method=4)
    (x0, dx), (y0, dy) = grid["x"], grid["y"]
    image = {"type": "image", "source": "data:image/webp;base64," + base64.b64encode(buf.getvalue()).decode("ascii"),
             "x0": x0, "dx": dx, "y0": y0, "dy": dy, "hoverinfo": "skip", "name": t.get("name", ""), "showlegend": False,
             "xaxis": t.get("xaxis", "x"), "yaxis": t.get("yaxis", "y")}
    if "opacity" in t:
        image["opacity"] = t["opacity"]
    xaxis, yaxis = (layout.get(a + image[a][1:], {}) for a in ("xaxis", "yaxis"))
    if not isinstance(xaxis, dict) or not isinstance(yaxis, dict):
        return None
    # plotly gives an axis that holds an image other defaults than a heatmap's: set the heatmap's
    layout["xaxis" + image["xaxis"][1:]], layout["yaxis" + image["yaxis"][1:]] = xaxis, yaxis
    if "range" not in yaxis and "autorange" not in yaxis:
        yaxis["autorange"] = True  # a heatmap's y axis points up; an image's is reversed
    yaxis.setdefault("scaleanchor", False)  # an image ties y to x
    for ax in (xaxis, yaxis):
        ax.setdefault("constrain", "range")  # an image's axes shrink their domain instead
    traces = [image]
    if t.get("showscale", True):
        # the colour bar stays on a heatmap of two transparent cells inside the image (as the heatmap drew it, with
        # its template's style; a marker colour bar on an empty scatter would count as a legend entry)
        keep = {k: t[k] for k in ("colorscale", "reversescale", "colorbar", "xaxis", "yaxis") if k in t}
        traces.append({**keep, "type": "heatmap", "z": [[lo, hi]], "x": [x0, x0 + dx], "y": [y0], "zmin": lo,
                       "zmax": hi, "opacity": 0, "hoverinfo": "skip", "showscale": True, "name": t.get("name", "")})
    return traces


def page_size_warning(name: str, size: int, budget: int = PAGE_BUDGET) -> str | None:
    """The warning for a page of `size` bytes over `budget` (None within it)."""
    check_type("name", name, str)
    size = check_int("size", size, lo=0)
    budget = check_int("budget", budget, lo=1)
    if size <= budget:
        return None
    return (f"{name}: the page is {size / 1e6:.2f} MB, over the {budget / 1e6:.0f} MB budget of a handout page "
            "(large figures: see lab.core.handouts.compact_figures)")


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
    warning = page_size_warning(entry.name, path.stat().st_size)
    if warning:
        warnings.warn(warning, stacklevel=2)
    if pdf and print_pdf(path) is None:
        warnings.warn(f"{entry.name}: no PDF printed: Chromium was not found (apt-get install chromium)", stacklevel=2)
    return path


def write_index(entries, out: Path | None = None) -> Path:
    out = Path(out) if out is not None else build_dir("handouts")
    sizes = {e.name: (out / f"{e.name}.html").stat().st_size for e in entries if (out / f"{e.name}.html").is_file()}
    path = out / "index.html"
    path.write_text(_index(entries, sizes, out), encoding="utf-8")
    return path


# --------------------------------------------------------------------------- the course book (Jupyter Book 1)
BOOK_TITLE = "MLNC workbench: a course"


def book_toc(entries) -> dict:
    """The course book's table of contents (Jupyter Book's `_toc.yml`, as a dict): the course map's groups as
    parts, each notebook a chapter in the report's order within its group, the start page first, any notebook
    the map does not place in a last part. `entries` are registry entries (those with an executed notebook)."""
    check_type("entries", entries, (list, tuple))
    if not entries:
        raise ValueError("entries must hold at least one registry entry; got none")
    for e in entries:
        check_int("entries[].number", getattr(e, "number", None), lo=0, hi=99)
        check_type("entries[].name", getattr(e, "name", None), str)
    by_number = {e.number: e for e in entries}
    parts = []
    if 0 in by_number:
        parts.append({"caption": "Start here", "chapters": [{"file": by_number.pop(0).name}]})
    for section, numbers in COURSE_MAP:
        chapters = [{"file": by_number.pop(n).name} for n in numbers if n in by_number]
        if chapters:
            parts.append({"caption": section, "chapters": chapters})
    if by_number:
        parts.append({"caption": "Other notebooks", "chapters": [{"file": e.name} for e in by_number.values()]})
    return {"format": "jb-book", "root": "intro", "parts": parts}


def book_config(title: str = BOOK_TITLE) -> dict:
    """The course book's `_config.yml` (as a dict): the notebooks are shown as executed (never run again), and
    every script comes from the book itself: plotly.js and MathJax 2 (jupyter-server-mathjax's copy, with
    numbered AMS equations) from `_assets/`, no launch buttons, no repository links, no CDN."""
    check_type("title", title, str)
    mathjax = {"HTML-CSS": {"availableFonts": ["STIX-Web"], "preferredFont": "STIX-Web", "webFont": "STIX-Web",
                            "imageFont": None},
               "TeX": {"equationNumbers": {"autoNumber": "AMS"}},
               "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True,
                           "processClass": "tex2jax_process|mathjax_process|math|output_area"}}
    import datetime

    return {"title": title, "author": "the MLNC workbench", "copyright": str(datetime.date.today().year),
            "only_build_toc_files": True,
            "execute": {"execute_notebooks": "off"},
            "html": {"use_repository_button": False, "use_issues_button": False, "use_edit_page_button": False,
                     "use_multitoc_numbering": True, "home_page_in_navbar": True},
            "launch_buttons": {"notebook_interface": "classic", "binderhub_url": "", "jupyterhub_url": "",
                               "thebe": False, "colab_url": ""},
            "parse": {"myst_enable_extensions": ["dollarmath", "amsmath"]},
            "sphinx": {"config": {"html_static_path": ["_assets"], "html_js_files": ["plotly.min.js"],
                                  "mathjax_path": f"mathjax/MathJax.js?config={MATHJAX_CONFIG}",
                                  "mathjax2_config": mathjax, "mathjax3_config": None,
                                  "nb_ipywidgets_js": {}, "html_show_sourcelink": False}}}


def write_book_source(executed: dict, out: Path | None = None, stamp: str = "") -> Path:
    """Write the course book's source to `out` (default build/book/src): each executed notebook as the handout
    shows it (`handout_notebook`), the `_toc.yml` of the course map, `_config.yml`, an intro page (`stamp`:
    the scale, date and commit the notebooks were executed at) and plotly.js and MathJax in `_assets/`.
    `executed` maps registry entries to their executed notebooks' paths. Returns `out`."""
    import json

    import nbformat

    check_type("executed", executed, dict)
    check_type("stamp", stamp, str)
    if not executed:
        raise ValueError("executed must name at least one executed notebook; got none")
    out = Path(out) if out is not None else build_dir("book", "src")
    # the book's own scripts go to _assets/ (copied into the HTML's _static/): Jupyter Book would add every
    # .js file under a _static/ source folder to every page, each of MathJax's extensions with it
    assets = out / "_assets"
    assets.mkdir(parents=True, exist_ok=True)
    _copy_assets(assets)
    for entry, path in executed.items():
        nbformat.write(handout_notebook(Path(path)), out / f"{entry.name}.ipynb")
    toc = book_toc(list(executed))
    # YAML is a superset of JSON: the two files are written as JSON, which Jupyter Book reads as YAML
    (out / "_toc.yml").write_text(json.dumps(toc, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "_config.yml").write_text(json.dumps(book_config(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    lines = [f"# {BOOK_TITLE}", "",
             "The workbench's notebooks as a course: each reproduces one paper's headline claim at laptop scale and "
             "closes with graded exercises. They are shown here as they were executed (the figures are snapshots; "
             "open a notebook in JupyterLab with `make lab` to use its explorer). The parts follow the course map:", ""]
    titles = {e.name: e.title for e in executed}
    for part in toc["parts"]:
        lines.append(f"- **{part['caption']}**")
        lines += [f"  - {c['file'][:2]} [{titles[c['file']]}]({c['file']}.ipynb)" for c in part["chapters"]]
    if stamp:
        lines += ["", stamp]
    (out / "intro.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out


def build_book(source: Path, jupyter_book: str | Path, out: Path | None = None, timeout: float = 1800) -> Path:
    """Build the course book at `source` (`write_book_source`) with the `jupyter_book` executable (Jupyter Book 1,
    from its own environment, .venv-book) into `out` (default build/book); returns the folder of its HTML.
    Raises RuntimeError with Jupyter Book's last lines where the build fails, and ValueError where a built page
    loads anything from a network."""
    check_type("source", source, Path)
    timeout = check_number("timeout", timeout, lo=1.0, hi=24 * 3600.0)
    if not (source / "_toc.yml").is_file():
        raise ValueError(f"source must be a book source folder with a _toc.yml (write_book_source); got {source}")
    exe = shutil.which(str(jupyter_book))
    if exe is None:
        raise ValueError(f"jupyter_book must be the jupyter-book executable (make book installs it in .venv-book); "
                         f"got {jupyter_book!r}")
    out = Path(out) if out is not None else build_dir("book")
    run = subprocess.run([exe, "build", str(source), "--path-output", str(out), "--builder", "html"],
                         capture_output=True, text=True, timeout=timeout)
    if run.returncode != 0:
        tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-15:])
        raise RuntimeError(f"jupyter-book build failed ({run.returncode}):\n{tail}")
    html = out / "_build" / "html"
    remote = {ref for page in html.rglob("*.html") for ref in remote_references(page.read_text(encoding="utf-8"))}
    if remote:
        raise ValueError(f"the book loads from a network: {sorted(remote)[:5]}")
    return html
