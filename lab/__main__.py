"""`python -m lab ...`: list, run, handouts, book, report, new.

    python -m lab list                     the notebooks, their topics and last claim status
    python -m lab run 03 [--scale small]   execute one notebook headless into build/executed/
    python -m lab handouts [03 06 ...]     executed, self-contained HTML handouts in build/handouts/
    python -m lab book --jupyter-book EXE  the course book (Jupyter Book) of the handouts' notebooks in build/book/
    python -m lab report [--write-readme]  the markdown table of every recorded claim
    python -m lab new 12 freq_anomaly      a skeleton notebook, module and test in the house style
"""
from __future__ import annotations

import argparse
import importlib
import os
import shutil
import sys
import time
from pathlib import Path

from .core import claims, registry
from .core.paths import build_dir, notebooks_dir, repo_root, scoped_environ

README_BEGIN = "<!-- claims:begin -->"
README_END = "<!-- claims:end -->"
CLAIMS_PAGE = "CLAIMS.md"  # the full claims table, a page of its own; the README keeps the counts and a link
CLAIMS_HEAD = """# Claims: the paper's number beside ours

Every claim the notebooks check, written by `make report` (`python -m lab report --write-readme`) from the
claims in `build/claims/` (the small scale: a clean clone's `make test` run) and the recorded paper-scale tier in
[`results/paper/`](results/paper/README.md). Each claim has a tolerance (within which our number counts as the
paper's, with its reason) and a computed verdict: *reproduced* (the claim holds and the number is within
tolerance, or the claim is qualitative), *direction only* (the claim holds, the number does not), or *not
reproduced* (its note says why). The note also says which measurement would have made the claim fail. Numbers
that describe the setting and cannot fail are listed apart as setup facts. A claim that needs the paper preset's
size to show its effect can have a different verdict in the two columns; that difference is the point of the tier.
Stochastic claims are judged by one rule: a paired 95 % t-interval over seeds (`lab.core.stats`).

"""
INDEX_BEGIN = "<!-- index:begin -->"
INDEX_END = "<!-- index:end -->"


def _scales_of(entry: registry.Entry) -> list[str]:
    try:
        mod = importlib.import_module(f"lab.{entry.topic}")
    except ImportError:  # the start-here notebook has no module
        return ["small"]
    return sorted(getattr(mod, "SCALES", {"small": {}}))


def _kernel_name() -> str:
    from jupyter_client.kernelspec import find_kernel_specs
    specs = find_kernel_specs()
    return "mlnc-lab" if "mlnc-lab" in specs else "python3"


def cmd_list(_args) -> int:
    print(f"{'notebook':<18} {'topic':<62} {'claims'}")
    for e in registry.ENTRIES:
        state = claims.status(e.name) if e.exists else "(not written yet)"
        print(f"{e.name:<18} {e.title[:60]:<62} {state}")
    return 0


def execute(name: str, scale: str = "small", handout: bool = False, overrides: dict | None = None) -> Path:
    """Execute notebook `name` with SCALE injected (and preset `overrides`, passed to the
    notebook's resolve_scale through LAB_SCALE_OVERRIDES); return the executed copy's path."""
    import json

    import papermill as pm
    from traitlets.config import Config

    entry = registry.by_name(name)
    scales = _scales_of(entry)
    if scale not in scales:
        raise ValueError(f"scale must be one of {scales} for {entry.name}; got {scale!r}")
    if not entry.exists:
        raise ValueError(f"notebook {entry.name} is not written yet; valid notebooks are: "
                         + ", ".join(e.name for e in registry.existing()))
    out = build_dir("executed") / (f"{entry.name}.ipynb" if scale == "small" else f"{entry.name}.{scale}.ipynb")
    env = {"LAB_HANDOUT": "1" if handout else "0",
           "LAB_SCALE_OVERRIDES": json.dumps(overrides) if overrides else None}
    # the kernel talks over local IPC sockets: no TCP port is opened, and ipykernel does not print its
    # "running over TCP without encryption" warning once per notebook into the console. The sockets live in
    # a folder of this run's own: by default they are kernel-ipc-1, -2, ... in the kernel's working folder,
    # numbered from the first free name, so two runs started at once (two handouts, CI's two workers)
    # took the same sockets and each heard the other's kernel ("Invalid Signature", no reply in 60 s)
    import tempfile

    sockets = tempfile.mkdtemp(prefix="lab-kernel-")
    try:
        with scoped_environ(env):
            pm.execute_notebook(str(entry.path), str(out), parameters={"SCALE": scale},
                                kernel_name=_kernel_name(), cwd=str(notebooks_dir()), progress_bar=False,
                                config=Config({"KernelManager": {"transport": "ipc",
                                                                 "ip": os.path.join(sockets, "k")}}))
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    return out


def _parse_sets(items: list[str]) -> dict:
    import json
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ValueError(f"--set takes setting=value (a JSON value); got {item!r}")
        k, v = item.split("=", 1)
        try:
            out[k] = json.loads(v)
        except json.JSONDecodeError:
            out[k] = v
    return out


def _git(*args: str) -> str:
    import subprocess
    try:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=repo_root(), timeout=10).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def _machine() -> dict:
    import platform
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"machine": platform.machine(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "device": os.environ.get("LAB_DEVICE", "") or "cpu", "threads": os.environ.get("OMP_NUM_THREADS", "")}


def _run_one(name: str, scale: str, overrides: dict | None, record: bool) -> dict:
    """Execute one notebook at `scale`; with `record`, copy its claims into results/<scale>/ beside a
    <nb>.run.json that says how long it took, on what, at which commit, and how loaded the machine was."""
    import json
    import resource
    from datetime import datetime, timezone

    e = registry.by_name(name)
    if record and overrides:
        raise ValueError("--record keeps the committed preset: it cannot be combined with --set")
    topic_paths = [f"lab/{e.topic}", f"lab/{e.topic}.py", f"notebooks/{e.path.name}"]
    info = {"notebook": e.name, "scale": scale, "overrides": overrides or {},
            "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "commit": _git("rev-parse", "HEAD"),
            "uncommitted_changes": bool(_git("status", "--porcelain", "--", *topic_paths, "lab/core")),
            "load_average_before": [round(x, 2) for x in os.getloadavg()], **_machine()}
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    error = None
    try:
        execute(e.name, scale, overrides=overrides)
    except Exception as exc:  # recorded, then reported by the caller
        detail = f"{getattr(exc, 'ename', '')}: {getattr(exc, 'evalue', '')}" if hasattr(exc, "ename") else str(exc)
        error = f"{type(exc).__name__}: {detail.strip().splitlines()[0] if detail.strip() else ''}"[:500]
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    info.update(seconds=round(time.perf_counter() - t0, 1),
                cpu_seconds=round((cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime), 1),
                load_average_after=[round(x, 2) for x in os.getloadavg()], error=error)
    if record:
        out = claims.results_dir(scale)
        out.mkdir(parents=True, exist_ok=True)
        src = build_dir("claims") / f"{e.name}.{scale}.json"
        if error is None and src.is_file():
            shutil.copyfile(src, out / src.name)
        (out / f"{e.name}.run.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def run_tier(names: list[str], scale: str, overrides: dict | None = None, record: bool = False) -> dict:
    """Run several notebooks at `scale` with a progress bar; each notebook's expected time (from its last
    recorded run, results/<scale>/<nb>.run.json) is printed first. Claims go to build/claims/<nb>.<scale>.json;
    the timings to build/<scale>/timings.json, and with `record` into results/<scale>/ as well."""
    import json

    from tqdm.auto import tqdm

    folder = claims.results_dir(scale)
    expected = {}
    for n in names:
        e = registry.by_name(n)
        f = folder / f"{e.name}.run.json"
        sec = json.loads(f.read_text()).get("seconds") if f.is_file() else None
        expected[e.name] = sec
        print(f"{e.name}: expected {sec / 60:.1f} min (its last recorded run)" if sec
              else f"{e.name}: expected time unknown (no run recorded)")
    known = [s for s in expected.values() if s]
    if known:
        print(f"expected in all: {sum(known) / 60:.0f} min for the {len(known)} notebook(s) with a recorded run")
    record_all = {"scale": scale, "overrides": overrides or {}, "seconds": {}, "failed": [], "commit": _git("rev-parse", "HEAD"),
                  **_machine()}
    for n in tqdm(names, desc=f"{scale} tier", unit="notebook"):
        info = _run_one(n, scale, overrides, record)
        name = info["notebook"]
        record_all["seconds"][name] = info["seconds"]
        if info["error"]:
            record_all["failed"].append(name)
            print(f"{name}: FAILED ({info['error']})")
    out = build_dir(scale) / "timings.json"
    out.write_text(json.dumps(record_all, indent=2))
    print(f"timings in {out}")
    return record_all


def cmd_run(args) -> int:
    overrides = _parse_sets(args.set)
    if args.record and args.scale == "small":
        raise ValueError("--record is for the long tiers (e.g. --scale paper); small runs are make test's")
    if args.all or not args.name:
        if not args.all:
            raise ValueError("name a notebook (e.g. 03) or pass --all")
        names = [e.name for e in registry.existing() if args.scale in _scales_of(e)]
        record = run_tier(names, args.scale, overrides, record=args.record)
        return 1 if record["failed"] else 0
    e = registry.by_name(args.name)
    if args.scale not in _scales_of(e):
        raise ValueError(f"scale must be one of {_scales_of(e)} for {e.name}; got {args.scale!r}")
    info = _run_one(e.name, args.scale, overrides, args.record)
    if info["error"]:
        print(f"{e.name}: FAILED ({info['error']}) after {info['seconds']:.1f} s", file=sys.stderr)
        return 1
    print(f"executed {e.name} at scale {args.scale} in {info['seconds']:.1f} s ({info['cpu_seconds']:.1f} s CPU)"
          + (f"; recorded in {claims.results_dir(args.scale).relative_to(repo_root())}/" if args.record else ""))
    print(claims.table(e.name, scale=args.scale).to_markdown())
    return 0


def cmd_handouts(args) -> int:
    from .core import exercises, handouts

    names = args.names or [e.name for e in (registry.START, *registry.existing()) if e.exists]
    entries = [registry.by_name(n) for n in names]
    if args.student:
        import nbformat
        for e in entries:
            if not args.names and not exercises.has_exercises(nbformat.read(e.path, as_version=4)):
                print(f"{e.name}: skipped (no exercises)")  # named on the command line, it is an error
                continue
            print(f"{e.name}: {handouts.student_version(e.name)}")
        return 0
    failed, done = [], []
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--", "lab", "notebooks"):
        commit += " (with uncommitted changes)"
    if not args.no_pdf and not (shutil.which("chromium") or shutil.which("chromium-browser")):
        print("warning: Chromium was not found (apt-get install chromium): the pages are written without PDFs")
        args.no_pdf = True
    for e in entries:
        t0 = time.perf_counter()
        try:
            executed = execute(e.name, args.scale, handout=True)
        except Exception as exc:  # report every notebook, then fail
            failed.append(e.name)
            print(f"{e.name}: FAILED ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
            continue
        path = handouts.write_page(executed, e, pdf=not args.no_pdf, scale=args.scale, commit=commit)
        done.append(e)
        print(f"{e.name}: {path} ({path.stat().st_size / 1e6:.2f} MB, {time.perf_counter() - t0:.1f} s)")
    index = handouts.write_index([registry.START, *registry.ENTRIES])
    total = sum(f.stat().st_size for f in index.parent.rglob("*") if f.is_file())
    print(f"index: {index}; the pack holds {total / 1e6:.1f} MB")
    for e in done:  # the pages over the budget, once more at the end where a teacher reads
        warning = handouts.page_size_warning(e.name, (index.parent / f"{e.name}.html").stat().st_size)
        if warning:
            print(f"warning: {warning}")
    return 1 if failed else 0


def _handout_run(executed: Path, source: Path) -> bool:
    """True where `executed` is a handout run (`make handouts`) of `source` made after its last change: its figures
    are the handout's static HTML (a plain `lab run` leaves plotly's own JSON outputs and explorers without
    snapshots)."""
    import nbformat

    if not executed.is_file() or executed.stat().st_mtime < source.stat().st_mtime:
        return False
    nb = nbformat.read(executed, as_version=4)
    return not any("application/vnd.plotly.v1+json" in o.get("data", {})
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def cmd_book(args) -> int:
    """The course book: the notebooks `make handouts` executed (each executed first where no handout run of its
    current version is in build/executed/), shown as the handouts show them, built by Jupyter Book 1."""
    from .core import handouts

    t0 = time.perf_counter()
    entries = [e for e in (registry.START, *registry.existing()) if e.exists]
    executed, failed = {}, []
    for e in entries:
        path = build_dir("executed") / f"{e.name}.ipynb"
        if not _handout_run(path, e.path):
            print(f"{e.name}: executing (no handout run of its current version in build/executed/)")
            try:
                path = execute(e.name, "small", handout=True)
            except Exception as exc:  # report every notebook, then fail
                failed.append(e.name)
                print(f"{e.name}: FAILED ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})")
                continue
        executed[e] = path
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    if _git("status", "--porcelain", "--", "lab", "notebooks"):
        commit += " (with uncommitted changes)"
    from datetime import date

    stamp = f"Executed at scale **small**, built on {date.today().isoformat()} from commit `{commit}`."
    t1 = time.perf_counter()
    source = handouts.write_book_source(executed, stamp=stamp)
    html = handouts.build_book(source, args.jupyter_book)
    t2 = time.perf_counter()
    size = sum(f.stat().st_size for f in html.rglob("*") if f.is_file())
    pages = {f.name: f.stat().st_size for f in html.glob("*.html")}
    big = max(pages, key=pages.get)
    print(f"book: {html / 'index.html'}; {len(executed)} notebooks, {size / 1e6:.1f} MB (largest page {big}, "
          f"{pages[big] / 1e6:.2f} MB); built in {t2 - t1:.0f} s ({t1 - t0:.0f} s executing before)")
    return 1 if failed else 0


def tier_summary(scale: str = "paper") -> str:
    """The markdown summary of a recorded tier (results/<scale>/*.run.json): per notebook its wall and CPU
    time, commit, start, machine load and verdict counts, and the totals."""
    import json

    folder = claims.results_dir(scale)
    runs = [json.loads(f.read_text()) for f in sorted(folder.glob("*.run.json"))] if folder.is_dir() else []
    if not runs:
        return f"_No {scale}-scale run recorded yet: `python -m lab run NN --scale {scale} --record`._"
    def distinct(key, default="?"):
        return " / ".join(sorted({str(r.get(key, default)) for r in runs}))
    lines = [f"Recorded runs at the {scale} scale, one notebook at a time, on {distinct('cores')} cores "
             f"({distinct('cpu')}; Python {distinct('python')}, device {distinct('device', 'cpu')}).", "",
             "| Notebook | Wall (min) | CPU (min) | Load before → after | Commit | Started (UTC) | Verdicts |",
             "|---|---|---|---|---|---|---|"]
    for r in runs:
        t = claims.table(r["notebook"], scale=scale, folder=folder)
        verdicts = "FAILED: " + str(r["error"]) if r.get("error") else (claims.counts_line(t) if len(t) else "–")
        dirty = " (uncommitted changes)" if r.get("uncommitted_changes") else ""
        lines.append(f"| {r['notebook']} | {r['seconds'] / 60:.1f} | {r.get('cpu_seconds', 0) / 60:.1f} | "
                     f"{r['load_average_before'][0]:.1f} → {r['load_average_after'][0]:.1f} | "
                     f"{r['commit'][:10]}{dirty} | {r['started'][:16].replace('T', ' ')} | {verdicts} |")
    wall = sum(r["seconds"] for r in runs) / 60
    cpu = sum(r.get("cpu_seconds", 0) for r in runs) / 60
    lines += ["", f"In all: {len(runs)} notebooks, {wall:.0f} min wall, {cpu:.0f} min CPU. The load average "
              "column shows how busy the machine was: wall times above the CPU time's share of the cores "
              "mean the run shared the machine."]
    return "\n".join(lines)


def cmd_report(args) -> int:
    text = claims.report()
    print(text)
    summary = tier_summary("paper")
    print("\n" + summary)
    if args.write_readme and (claims.results_dir("paper")).is_dir():
        out = claims.results_dir("paper") / "README.md"
        out.write_text("# The paper-scale tier: recorded runs\n\n" + summary + "\n\nEach `<nb>.paper.json` holds a "
                       "notebook's claims and facts at the paper preset; each `<nb>.run.json` its run time, machine, "
                       "commit and load. `make report` rewrites this page, CLAIMS.md and the README's claims summary.\n",
                       encoding="utf-8")
        print(f"wrote {out}")
    if args.write_readme:
        page = repo_root() / CLAIMS_PAGE
        page.write_text(CLAIMS_HEAD + text + "\n", encoding="utf-8")
        print(f"wrote {page}")
        readme = repo_root() / "README.md"
        doc = readme.read_text(encoding="utf-8")
        doc = _replace_between(doc, README_BEGIN, README_END, claims.summary(link=CLAIMS_PAGE))
        doc = _replace_between(doc, INDEX_BEGIN, INDEX_END, registry.index_markdown(link_prefix="notebooks/"))
        readme.write_text(doc, encoding="utf-8")
        print(f"\nwrote the claims table and the notebook index into {readme}")
    return 0


def _replace_between(doc: str, begin: str, end: str, text: str) -> str:
    if begin not in doc or end not in doc:
        raise ValueError(f"README.md must contain the markers {begin} and {end}")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{begin}\n{text}\n{end}{tail}"


def cmd_new(args) -> int:
    import nbformat
    from .core.nbtemplate import skeleton

    if not 1 <= args.number <= len(registry.ENTRIES):
        raise ValueError(f"number must be a report entry in 1..{len(registry.ENTRIES)}; got {args.number}")
    entry = registry.by_name(f"{args.number:02d}")
    topic = args.topic or entry.topic
    if not topic.isidentifier() or topic != topic.lower() or topic.startswith("_") or topic in ("core", "data"):
        raise ValueError(f"topic must be a lower-case Python identifier such as 'anomaly'; got {topic!r}")
    if topic != entry.topic:
        raise ValueError(f"topic must be {entry.topic!r}, the registry's topic for entry {args.number:02d} "
                         f"(change lab/core/registry.py first to rename it); got {topic!r}")
    root = repo_root()
    taken = sorted(p.name for p in (root / "notebooks").glob(f"{args.number:02d}_*.ipynb"))
    if taken:
        raise ValueError(f"slot {args.number:02d} is taken by notebooks/{taken[0]}; choose a free entry")
    pkg = root / "lab" / topic
    paths = {"notebook": root / "notebooks" / f"{args.number:02d}_{topic}.ipynb", "init": pkg / "__init__.py",
             "views": pkg / "views.py", "method": pkg / "method.py", "test": root / "tests" / f"test_{topic}.py",
             "spec": root / "tests" / "api_specs" / f"{topic}.py"}
    for p in paths.values():
        if p.exists():
            raise ValueError(f"{p.relative_to(root)} exists already; refusing to overwrite it")
    pkg.mkdir(parents=True)
    nbformat.write(skeleton(args.number, topic, entry.title), paths["notebook"])
    paths["init"].write_text(
        f'"""{entry.title} ({entry.authors}, {entry.venue}).\n\nBacks notebooks/{paths["notebook"].name}.\n"""\n'
        f'from lab.core.scale import freeze\n\nfrom .method import run\nfrom .views import explorer\n\n'
        f'SCALES = freeze({{"small": {{}}, "paper": {{}}}})\n\n__all__ = ["SCALES", "explorer", "run"]\n',
        encoding="utf-8")
    paths["method"].write_text(f'"""The method of notebooks/{paths["notebook"].name}."""\nfrom __future__ import annotations\n\n'
                               f'from lab.core.checks import check_int\n\n\ndef run(seed: int = 0) -> int:\n'
                               f'    """Placeholder: replace with the method."""\n'
                               f'    return check_int("seed", seed, lo=0)\n', encoding="utf-8")
    paths["views"].write_text(f'"""Figures and the explorer of notebooks/{paths["notebook"].name}."""\n'
                              f'from __future__ import annotations\n\nfrom lab.core.widgets import demo\n\n\n'
                              f'def explorer():\n    """Placeholder: replace with the topic\'s explorer."""\n'
                              f'    return demo()\n', encoding="utf-8")
    paths["test"].write_text(f'"""Unit tests of lab.{topic}."""\nfrom lab import {topic}\n\n\n'
                             f'def test_scales():\n    assert "small" in {topic}.SCALES\n\n\n'
                             f'def test_determinism_run():\n    assert {topic}.run(seed=1) == {topic}.run(seed=1)\n',
                             encoding="utf-8")
    paths["spec"].write_text(f'"""Valid, fast calls of lab.{topic}\'s public API, for tests/test_bad_input.py."""\n'
                             f'SPECS = {{"run": lambda: dict(seed=0)}}\n'
                             f'SKIP = {{"explorer": "widget; driven by the notebook\'s explorer-check cell"}}\n',
                             encoding="utf-8")
    print("wrote " + ", ".join(str(p.relative_to(root)) for p in paths.values()))
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m lab", description="The MLNC workbench.")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="the notebooks, their topics and last claim status").set_defaults(fn=cmd_list)
    r = sub.add_parser("run", help="execute one notebook headless into build/executed/")
    r.add_argument("name", nargs="?", help="e.g. 03, synapse or 03_synapse")
    r.add_argument("--all", action="store_true", help="every notebook that has the scale (the paper tier)")
    r.add_argument("--scale", default="small")
    r.add_argument("--set", action="append", metavar="SETTING=VALUE", help="override one preset setting")
    r.add_argument("--record", action="store_true",
                   help="commit-ready record in results/<scale>/: claims, run time, machine, commit")
    r.set_defaults(fn=cmd_run)
    h = sub.add_parser("handouts", help="executed HTML handouts in build/handouts/")
    h.add_argument("names", nargs="*", help="notebooks (default: all)")
    h.add_argument("--scale", default="small")
    h.add_argument("--student", action="store_true", help="student versions with exercises (build/student/)")
    h.add_argument("--no-pdf", action="store_true", help="skip the PDF of each page")
    h.set_defaults(fn=cmd_handouts)
    b = sub.add_parser("book", help="the course book (Jupyter Book) of the handouts' notebooks in build/book/")
    b.add_argument("--jupyter-book", default="jupyter-book",
                   help="the jupyter-book executable (make book installs it in .venv-book)")
    b.set_defaults(fn=cmd_book)
    rep = sub.add_parser("report", help="the markdown table of every recorded claim")
    rep.add_argument("--write-readme", action="store_true", help="also replace the table in README.md")
    rep.set_defaults(fn=cmd_report)
    n = sub.add_parser("new", help="a skeleton notebook, module and unit test for report entry NN")
    n.add_argument("number", type=int)
    n.add_argument("topic", nargs="?", default=None)
    n.set_defaults(fn=cmd_new)
    args = p.parse_args(argv)
    try:
        return args.fn(args)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
