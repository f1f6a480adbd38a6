"""How fast every explorer answers: each notebook is run headless at its default scale (one thread per library,
as in make test), then every control of every explorer it built is set to up to five values over its range, one
at a time, and `Explorer.set` is timed in the kernel (the page's drawing comes on top of this): wall-clock, the
measure, and the kernel's CPU time beside it (on a loaded machine the wall-clock grows, the CPU time much less).

`python -m benchmarks explorers` (`make bench BENCH=explorers`) times all of them; `LAB_BENCH_NOTEBOOKS="06 17"`
the named ones. Prints a table per control (median, 95th percentile and largest time), then per notebook the p50
and p95 of each kind of control, and writes `build/bench/explorers.json`. Its last line is
`explorers: N notebooks, worst p95 redraw X ms (NN), worst p95 recompute Y ms (NN)`.

A control's kind is declared, not measured: the explorer's `recompute` names the controls whose change may rerun
a method (limit 1 s, with the busy state, `Explorer.busy`); every other control only redraws (limit 0.1 s).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from lab.core import registry
from lab.core.paths import build_dir, scoped_environ

LIMIT_S = {"redraw": 0.1, "recompute": 1.0}
VALUES = 5

# runs in the notebook's kernel once the notebook has run: times every control of every explorer in it
PROBE = r'''
import json as _json, time as _time
import numpy as _np
import ipywidgets as _W
from lab.core.widgets import Explorer as _Explorer

def _values(w, n):
    if getattr(w, "disabled", False) or isinstance(w, _W.Button) or not hasattr(w, "value"):
        return []
    if hasattr(w, "_options_values"):
        opts = list(w._options_values)
        if len(opts) > n:
            opts = [opts[i] for i in _np.linspace(0, len(opts) - 1, n).round().astype(int)]
        return opts
    if isinstance(w, (_W.Checkbox, _W.ToggleButton)):
        return [not w.value, w.value]
    if isinstance(w, _W.FloatLogSlider):
        return [float(w.base ** e) for e in _np.linspace(w.min, w.max, n)]
    if isinstance(w, (_W.IntSlider, _W.BoundedIntText)):
        return sorted({int(round(v)) for v in _np.linspace(w.min, w.max, n)})
    if isinstance(w, (_W.FloatSlider, _W.BoundedFloatText)):
        return [float(v) for v in _np.linspace(w.min, w.max, n)]
    return []

_out = []
_seen = set()
for _name, _ex in list(globals().items()):
    if not isinstance(_ex, _Explorer) or id(_ex) in _seen:
        continue
    _seen.add(id(_ex))
    for _k, _w in _ex.controls.items():
        _times, _cpu, _errors = [], [], []
        for _v in _values(_w, __N__):
            if _v == _w.value:
                continue
            _t0, _c0 = _time.perf_counter(), _time.process_time()
            try:
                _ex.set(**{_k: _v})
            except Exception as _e:
                _errors.append(f"{_v!r}: {type(_e).__name__}: {_e}"[:200])
                continue
            _times.append(_time.perf_counter() - _t0)
            _cpu.append(_time.process_time() - _c0)
        _ex.reset()
        _kind = "recompute" if _k in getattr(_ex, "recompute", ()) else "redraw"
        _out.append({"explorer": _name, "control": _k, "kind": _kind, "times": _times, "cpu": _cpu,
                     "errors": _errors})
print("PROBE" + _json.dumps(_out))
'''


def probe(path: Path, build: Path, n_values: int = VALUES) -> list[dict]:
    """Run the notebook at `path` (its folder as the working directory), then time its explorers' controls."""
    import nbformat
    from nbclient import NotebookClient

    from lab.__main__ import _kernel_name

    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE.replace("__N__", str(int(n_values)))))
    from jupyter_client.manager import KernelManager

    # local IPC sockets in a folder of this run's own: no TCP port, no "running over TCP" warning per notebook
    sockets = tempfile.mkdtemp(prefix="lab-kernel-")
    try:
        with scoped_environ({"LAB_BUILD_DIR": str(build), "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}):
            km = KernelManager(kernel_name=_kernel_name(), transport="ipc", ip=os.path.join(sockets, "k"))
            try:
                NotebookClient(nb, km=km, timeout=900, kernel_name=_kernel_name(),
                               resources={"metadata": {"path": str(path.parent)}}).execute()
            finally:
                if km.has_kernel:
                    km.shutdown_kernel(now=True)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    line = next(ln for ln in text.splitlines() if ln.startswith("PROBE"))
    return json.loads(line[len("PROBE"):])


def _q(times: list[float], q: float) -> float:
    import numpy as np
    return float(np.quantile(times, q)) if times else float("nan")


def main() -> None:
    names = os.environ.get("LAB_BENCH_NOTEBOOKS", "").split()
    entries = [registry.by_name(n) for n in names] if names else list(registry.existing())
    rows = []
    with tempfile.TemporaryDirectory(prefix="lab-bench-explorers-") as tmp:
        for e in entries:
            t0 = time.perf_counter()
            found = probe(e.path, Path(tmp) / e.name)
            print(f"{e.name}: {len(found)} controls timed ({time.perf_counter() - t0:.0f} s with the notebook)",
                  flush=True)
            rows += [{"notebook": e.name, **r, "p50": _q(r["times"], 0.5), "p95": _q(r["times"], 0.95),
                      "max": max(r["times"], default=float("nan"))} for r in found]
            # written after every notebook: a kernel lost later keeps what was measured before it
            (build_dir("bench") / "explorers.json").write_text(json.dumps(rows, indent=1))
    print("\n| notebook | explorer.control | kind | values | p50 [s] | p95 [s] | max [s] | CPU p95 [s] | within its limit |")
    print("|---|---|---|--:|--:|--:|--:|--:|---|")
    for r in rows:
        if not r["times"]:
            continue
        ok = "yes" if r["p95"] <= LIMIT_S[r["kind"]] else "no"
        print(f"| {r['notebook']} | {r['explorer']}.{r['control']} | {r['kind']} | {len(r['times'])} | "
              f"{r['p50']:.3f} | {r['p95']:.3f} | {r['max']:.3f} | {_q(r.get('cpu', []), 0.95):.3f} | {ok} |")
    print("\n| notebook | redraw p50 / p95 [ms] | recompute p50 / p95 [ms] |")
    print("|---|--:|--:|")
    worst = {}
    for nb in dict.fromkeys(r["notebook"] for r in rows):
        cells = []
        for kind in LIMIT_S:
            ts = [t for r in rows if r["notebook"] == nb and r["kind"] == kind for t in r["times"]]
            cells.append(f"{1e3 * _q(ts, 0.5):.0f} / {1e3 * _q(ts, 0.95):.0f}" if ts else "–")
            if ts and _q(ts, 0.95) > worst.get(kind, (-1.0, ""))[0]:
                worst[kind] = (_q(ts, 0.95), nb)
        print(f"| {nb} | {cells[0]} | {cells[1]} |")
    slow = [r for r in rows if r["times"] and r["p95"] > LIMIT_S[r["kind"]]]
    errors = [r for r in rows if r["errors"]]
    print(f"\n{sum(1 for r in rows if r['times'])} controls timed; {len(slow)} above their kind's limit at the 95th "
          f"percentile ({', '.join(f'{k} {v:g} s' for k, v in LIMIT_S.items())})")
    for r in errors:
        print(f"errors: {r['notebook']} {r['explorer']}.{r['control']}: {r['errors']}")
    out = build_dir("bench") / "explorers.json"
    out.write_text(json.dumps(rows, indent=1))
    print(f"wrote {out}")
    n = len(dict.fromkeys(r["notebook"] for r in rows))
    parts = [f"worst p95 {k} " + (f"{1e3 * worst[k][0]:.0f} ms ({worst[k][1][:2]})" if k in worst else "– (none)")
             for k in LIMIT_S]
    print(f"explorers: {n} notebooks, " + ", ".join(parts))


if __name__ == "__main__":
    main()
