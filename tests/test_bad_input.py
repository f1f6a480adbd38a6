"""The bad-input sweep: every public callable of `lab` refuses bad arguments clearly.

Each file `tests/api_specs/<name>.py` lists, for one public module (`MODULE`, default `lab.<name>`),
a valid and fast call of each public callable (`SPECS`: name -> function returning keyword
arguments; a method is "Class.method" with `self` among them) or a reason to leave it out (`SKIP`).
The sweep makes one argument bad at a time and accepts only

* a `ValueError` or `TypeError` whose message names the parameter, or
* a result free of NaN and inf (the bad value was in fact acceptable),

within `CALL_SECONDS`. Anything else -- another exception (a crash deep inside numpy, torch, numba
or scipy), a refusal that does not name the parameter, a NaN or inf result, a hang -- is a failure.
The deterministic sweep tries every category of bad value on every argument; a Hypothesis test adds
generated bad arrays and scalars (few examples in CI: `HYPOTHESIS_PROFILE=ci`, the default here).
Figures per module go to build/bad_input/<name>.json.

Beyond one bad argument, the sweep tries the kinds a one-argument sweep cannot reach:

* **edges of a documented range**: a number refused with "x must be in [lo, hi]" (the house message of
  `lab.core.checks`) is tried at each finite end: just inside (the end itself, or a billionth of the scale
  inside an open end) must give a result, or a clear refusal of the combination with the other arguments (a
  "joint refusal": `fs` at its lowest leaves no room for the spec's `f_max`), never its own range refused,
  a crash, a hang or NaN; just outside (the nearest float or integer beyond) must be refused naming
  the parameter. An integer's upper end is tried inside only up to `EDGE_MAX_INT` (a count's documented
  maximum costs what it says).
* **a missing method**: a table argument holding a column of names, and another argument naming one of
  them (`method="AE (frequency)"`, `fmt="rel"`), is tried without that name's rows, and the name is
  replaced by one the table lacks; a list of runs with a `.method` is tried without the named method's runs.
  Each must be refused naming the table (or list) or the name's parameter.
* **a bad table accepted** (empty, without columns, a column missing, a method missing) is a failure unless
  the spec's `TABLE_ACCEPTS` ("name(param=label)" -> (why, check)) says why the answer is right and gives a
  check of it: a function of the answer, or "same" (the answer is the valid call's, as where the dropped
  column is one the callable does not read). A finite answer is not enough.
"""
from __future__ import annotations

import dataclasses
import functools
import importlib
import importlib.util
import inspect
import json
import math
import re
import signal
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lab.core.paths import repo_root

SPEC_DIR = Path(__file__).resolve().parent / "api_specs"
CALL_SECONDS = 20
WARMUP_SECONDS = 120  # a spec's valid call, made first (sparseloop's numba kernel compiles in 3 s quietly, 20 s
                      # on a machine loaded four times over: a slow compile is not a hang)
settings.register_profile("ci", max_examples=15, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
settings.register_profile("thorough", max_examples=300, deadline=None,
                          suppress_health_check=list(HealthCheck))
settings.load_profile("ci")


# ----------------------------------------------------------------------------- specs
def spec_files() -> list[Path]:
    return sorted(p for p in SPEC_DIR.glob("*.py") if not p.name.startswith("_"))


def load_spec(path: Path):
    spec = importlib.util.spec_from_file_location(f"api_specs_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    if not hasattr(mod, "MODULE"):  # lab.<name>, else lab.data.<name>, else lab.core.<name>
        for cand in (f"lab.{path.stem}", f"lab.data.{path.stem}", f"lab.core.{path.stem}"):
            if importlib.util.find_spec(cand) is not None:
                mod.MODULE = cand
                break
        else:
            mod.MODULE = f"lab.{path.stem}"
    mod.SPECS = getattr(mod, "SPECS", {})
    mod.SKIP = getattr(mod, "SKIP", {})
    mod.FINITE_EXEMPT = getattr(mod, "FINITE_EXEMPT", {})
    mod.TABLE_ACCEPTS = getattr(mod, "TABLE_ACCEPTS", {})
    mod.EDGE_EXEMPT = getattr(mod, "EDGE_EXEMPT", {})
    return mod


SPECS = {p.stem: p for p in spec_files()}


@functools.lru_cache(maxsize=1)
def all_specs() -> tuple:
    """Every spec file, loaded once per test process (loading one runs its module's top level)."""
    return tuple(load_spec(p) for p in spec_files())


def public_callables(module) -> list[str]:
    out = []
    names = getattr(module, "__all__", None)
    if names is None:  # no __all__: every public function and class defined in the module
        names = [n for n, o in vars(module).items() if not n.startswith("_")
                 and getattr(o, "__module__", None) == module.__name__]
    for name in names:
        obj = getattr(module, name, None)
        if inspect.isfunction(obj) or (inspect.isclass(obj) and not issubclass(obj, BaseException)):
            out.append(name)
    return out


def required_modules() -> list[str]:
    """Every public module whose callables need a spec: each topic's face, lab.data, lab.core's modules."""
    from lab.core import registry
    mods = []
    for e in registry.ENTRIES:
        if e.exists:
            mods.append(f"lab.{e.topic}")
    mods.append("lab.data")
    data = Path(__file__).resolve().parents[1] / "lab" / "data"
    mods += sorted([f"lab.data.{p.stem}" for p in data.glob("*.py") if not p.stem.startswith("_") and p.stem != "digits"]
                   + [f"lab.data.{p.name}" for p in data.iterdir() if (p / "__init__.py").is_file()])
    core = Path(__file__).resolve().parents[1] / "lab" / "core"
    mods += sorted(f"lab.core.{p.stem}" for p in core.glob("*.py") if not p.stem.startswith("_"))
    mods += sorted(f"lab.core.{p.name}" for p in core.iterdir() if (p / "__init__.py").is_file())
    return mods


# ----------------------------------------------------------------------------- bad values
def _is_tensor(v) -> bool:
    return type(v).__module__.startswith("torch") and hasattr(v, "detach")


def bad_values(v: Any) -> list[tuple[str, Any]]:
    """The categories of bad value tried in place of a valid value `v`."""
    if isinstance(v, (bool, np.bool_)):
        return [("str for bool", "yes"), ("int for bool", 2), ("None", None)]
    if isinstance(v, (int, np.integer)):
        return [("-1", -1), ("huge", 10**12), ("fraction", 1.5), ("NaN", float("nan")), ("str", "3"),
                ("None", None)]
    if isinstance(v, (float, np.floating)):
        return [("NaN", float("nan")), ("inf", math.inf), ("-inf", -math.inf), ("-1", -1.0), ("huge", 1e12),
                ("str", "1.0"), ("None", None)]
    if isinstance(v, str):
        return [("empty str", ""), ("unknown str", "no-such-option"), ("control chars", "a\nb"), ("int", 123),
                ("None", None)]
    if isinstance(v, np.ndarray) or _is_tensor(v):
        arr = v.detach().cpu().numpy() if _is_tensor(v) else v
        conv = (lambda a: __import__("torch").from_numpy(np.ascontiguousarray(a))) if _is_tensor(v) else (lambda a: a)
        out = [("None", None), ("str", "array")]
        if arr.ndim >= 1:
            out.append(("empty", conv(arr[:0].copy())))
        out.append(("extra axis", conv(arr[None].copy())))
        if arr.ndim >= 1 and arr.size:
            out.append(("scalar", conv(np.asarray(arr.reshape(-1)[0]).copy())))
        if arr.dtype.kind == "f" and arr.size:
            nan = arr.copy()
            nan.reshape(-1)[0] = np.nan
            out.append(("NaN entry", conv(nan)))
            inf = arr.copy()
            inf.reshape(-1)[-1] = np.inf
            out.append(("inf entry", conv(inf)))
        if not _is_tensor(v) and arr.size:
            out.append(("str dtype", np.full(arr.shape, "x")))
        return out
    if isinstance(v, pd.DataFrame):  # a table the callable does not expect: refused, or answered rightly
        out = [("None", None), ("str", "x"), ("empty table", v.iloc[:0].copy()), ("no columns", pd.DataFrame())]
        if len(v.columns):
            out.append(("column missing", v.drop(columns=v.columns[0])))
        return out
    if isinstance(v, (list, tuple)):
        out = [("None", None), ("str", "x")]
        if len(v):
            out += [("empty", type(v)()), ("None entry", type(v)([None] * len(v)))]
        return out
    if isinstance(v, dict):
        return [("None", None), ("str", "x")]
    if v is None:
        return [("str for None", "x"), ("object", object())]
    if callable(v):
        return [("None", None), ("str", "x")]
    return [("None", None), ("str", "x"), ("int", 42)]


# ----------------------------------------------------------------------------- calling
class CallTimeout(Exception):
    pass


def _alarm(_sig, _frame):
    raise CallTimeout()


def nonfinite(x: Any, depth: int = 0) -> bool:
    """Whether a result holds NaN or inf anywhere we can see (arrays, tensors, numbers, containers)."""
    if depth > 4 or x is None or isinstance(x, (str, bytes, bool)):
        return False
    if isinstance(x, float):
        return not math.isfinite(x)
    if isinstance(x, np.floating):
        return not np.isfinite(x)
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc" and x.size > 0 and not np.isfinite(x).all()
    if _is_tensor(x):
        return x.dtype.is_floating_point and x.numel() > 0 and not bool(__import__("torch").isfinite(x).all())
    if isinstance(x, dict):
        return any(nonfinite(v, depth + 1) for v in list(x.values())[:200])
    if isinstance(x, (list, tuple)):
        return any(nonfinite(v, depth + 1) for v in list(x)[:200])
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return any(nonfinite(getattr(x, f.name, None), depth + 1) for f in dataclasses.fields(x))
    return False


def call(module, name: str, kwargs: dict, seconds: int = CALL_SECONDS) -> Any:
    kwargs = dict(kwargs)
    if "." in name:
        cls, meth = name.split(".", 1)
        self = kwargs.pop("self")
        fn = getattr(self, meth)
    else:
        fn = getattr(module, name)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(seconds)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(**kwargs)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def classify(module, name: str, kwargs: dict, param: str, exempt: bool, detail: bool = False,
             seconds: int = CALL_SECONDS):
    """'named', 'accepted', or a failure: 'unnamed', 'crash', 'nonfinite', 'hang'. With detail, (outcome,
    the result when accepted, else the exception's message)."""
    try:
        result = call(module, name, kwargs, seconds=seconds)
    except CallTimeout:
        outcome, result = "hang", "no answer within the time limit"
    except (ValueError, TypeError) as exc:
        outcome, result = ("named" if param in str(exc) else "unnamed"), str(exc)
    except Exception as exc:
        outcome, result = "crash", f"{type(exc).__name__}: {exc}"
    else:
        outcome = "nonfinite" if not exempt and nonfinite(result) else "accepted"
    return (outcome, result) if detail else outcome


EDGE_MAX_INT = 64  # an integer's upper end is tried inside only up to this (a count's maximum may cost minutes)
EDGE_SECONDS = 10  # an edge call still running then is listed as slow in build/bad_input, not judged
_RANGE = re.compile(r"must be (an integer |a real number |finite, )?in "
                    r"([\[(])(-inf|[-+0-9.e]+), (inf|[-+0-9.e]+)([\])])")


def documented_range(msg: str, param: str):
    """(lo, hi, lo_open, hi_open, integer) from a refusal "param must be [an integer] in [lo, hi]", else None."""
    if not msg.startswith(param + " "):
        return None
    m = _RANGE.search(msg)
    if m is None:
        return None
    kind, left, lo, hi, right = m.groups()
    lo_v = None if lo == "-inf" else float(lo)
    hi_v = None if hi == "inf" else float(hi)
    return lo_v, hi_v, left == "(", right == ")", kind == "an integer "


def edge_values(rng, valid) -> list[tuple[str, Any, bool]]:
    """(label, value, inside) at each finite end of a documented range."""
    lo, hi, lo_open, hi_open, integer = rng
    out = []
    if integer:
        if lo is not None:
            out += [(f"lo {int(lo)}", int(lo), True), (f"lo-1 {int(lo) - 1}", int(lo) - 1, False)]
        if hi is not None:
            if hi <= EDGE_MAX_INT:
                out.append((f"hi {int(hi)}", int(hi), True))
            out.append((f"hi+1 {int(hi) + 1}", int(hi) + 1, False))
        return out
    for end, v, is_open, inward in (("lo", lo, lo_open, 1.0), ("hi", hi, hi_open, -1.0)):
        if v is None:
            continue
        beyond = float(np.nextafter(v, -inward * math.inf))
        # inside an open end: a billionth of the scale in (0 + 1e-9, not the denormal 5e-324, whose reciprocal
        # overflows: a range written (0, hi] promises sane small values, not every float)
        inside, outside = (v + inward * 1e-9 * max(1.0, abs(v)), v) if is_open else (v, beyond)
        out += [(f"{end} inside {inside!r}", inside, True), (f"{end} outside {outside!r}", outside, False)]
    return out


def _named_values(table: pd.DataFrame) -> dict[str, set]:
    """column -> the string values of each column of names (object or string dtype)."""
    out = {}
    for c in table.columns:
        if table[c].dtype == object or pd.api.types.is_string_dtype(table[c].dtype):
            vals = {v for v in table[c].tolist() if isinstance(v, str)}
            if vals:
                out[c] = vals
    return out


def missing_method_cases(kwargs: dict) -> list[tuple[str, str, dict]]:
    """(label, the parameters either of which a refusal must name, changed arguments) for each table (or list of
    runs with a .method) and each argument naming one of its rows."""
    cases = []
    names = {k: v for k, v in kwargs.items() if k != "self" and isinstance(v, str) and v}
    for t, table in kwargs.items():
        if isinstance(table, pd.DataFrame) and len(table):
            cols = _named_values(table)
            for p, v in names.items():
                for c, vals in cols.items():
                    if v in vals:
                        cases.append((f"{t} without {c}={v!r}", (t, p), {t: table[table[c] != v].copy()}))
                        cases.append((f"{p}={v!r} replaced by a name {t} lacks", (t, p), {p: "no-such-" + c}))
                        break
        elif isinstance(table, (list, tuple)) and table and all(isinstance(getattr(r, "method", None), str)
                                                               for r in table):
            methods = {r.method for r in table}
            for p, v in names.items():
                if v in methods:
                    kept = type(table)(r for r in table if r.method != v)
                    cases.append((f"{t} without method {v!r}", (t, p), {t: kept}))
    return cases


CPU_SECONDS: dict[str, dict[str, float]] = {}  # module -> CPU seconds of the calls of each kind (last sweep)
SLOW_EDGES: dict[str, list[str]] = {}  # module -> the edge calls that ran past EDGE_SECONDS (last sweep)
TABLE_KINDS = ("empty table", "no columns", "column missing")  # None where None means "the default" is no table


def same_answer(a, b, depth: int = 0) -> bool:
    """Whether two answers are the same: tables, arrays, figures (their JSON), dataclasses, containers."""
    if depth > 5:
        return True
    if isinstance(a, pd.DataFrame) or isinstance(a, pd.Series):
        return type(a) is type(b) and a.equals(b)
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and a.shape == b.shape and np.array_equal(a, b, equal_nan=True)
    if hasattr(a, "to_plotly_json"):
        return hasattr(b, "to_plotly_json") and a.to_json() == b.to_json()
    if dataclasses.is_dataclass(a) and not isinstance(a, type):
        return type(a) is type(b) and all(same_answer(getattr(a, f.name), getattr(b, f.name), depth + 1)
                                          for f in dataclasses.fields(a))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same_answer(x, y, depth + 1) for x, y in zip(a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(same_answer(a[k], b[k], depth + 1) for k in a)
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return bool(a == b)


def sweep(spec) -> tuple[dict[str, dict[str, int]], list[str], list[str]]:
    """(counts per kind and outcome, failures, the bad tables a callable accepted). Kinds: 'one argument'
    (the categories of `bad_values`), 'range edge', 'missing method'."""
    module = importlib.import_module(spec.MODULE)
    counts: dict[str, dict[str, int]] = {}
    failures, accepted_tables = [], []
    slow = SLOW_EDGES.setdefault(spec.MODULE, [])
    slow.clear()

    cpu = CPU_SECONDS.setdefault(spec.MODULE, {})
    cpu.clear()

    def count(kind, outcome, t0=None):
        counts.setdefault(kind, {})
        counts[kind][outcome] = counts[kind].get(outcome, 0) + 1
        if t0 is not None:
            cpu[kind] = cpu.get(kind, 0.0) + time.process_time() - t0

    def table_accepted(key: str, result) -> None:
        accepted_tables.append(key)
        if key not in spec.TABLE_ACCEPTS:
            failures.append(f"{key}: accepted; refuse it naming the table, or say in TABLE_ACCEPTS why the "
                            "answer is right and check it")
            return
        why, check = spec.TABLE_ACCEPTS[key]
        right = same_answer(result, valid) if check == "same" else check(result)
        if not (isinstance(why, str) and len(why) > 20 and right):
            failures.append(f"{key}: accepted, and TABLE_ACCEPTS's check of the answer failed")

    for name, make in spec.SPECS.items():
        kwargs = make()
        try:  # the first call also compiles numba kernels and fills caches: it gets longer than a bad call
            valid = call(module, name, kwargs, seconds=WARMUP_SECONDS)
        except Exception as exc:  # the spec's own valid call must work
            failures.append(f"{name}: the valid call failed: {type(exc).__name__}: {exc}")
            continue
        ranges = {}
        for param, value in kwargs.items():
            if param == "self":
                continue
            for label, bad in bad_values(value):
                fresh = make()
                fresh[param] = bad
                t0 = time.process_time()
                outcome, result = classify(module, name, fresh, param, name in spec.FINITE_EXEMPT, detail=True)
                count("one argument", outcome, t0)
                if outcome not in ("named", "accepted"):
                    failures.append(f"{name}({param}={label}): {outcome}")
                elif outcome == "accepted" and isinstance(value, pd.DataFrame) and label in TABLE_KINDS:
                    table_accepted(f"{name}({param}={label})", result)
                elif outcome == "named" and label in ("-1", "huge") and param not in ranges:
                    rng = documented_range(result, param)
                    if rng is not None:
                        ranges[param] = rng
        for param, rng in ranges.items():  # the edges of each documented range
            if f"{name}({param})" in spec.EDGE_EXEMPT:
                continue
            for label, v, inside in edge_values(rng, kwargs[param]):
                fresh = make()
                fresh[param] = v
                t0 = time.process_time()
                outcome, result = classify(module, name, fresh, param, name in spec.FINITE_EXEMPT, detail=True,
                                           seconds=EDGE_SECONDS)
                if inside and outcome in ("named", "unnamed") and documented_range(result, param) is None:
                    outcome = "joint refusal"  # the value is in range, but not with the other arguments given
                if inside and outcome == "hang":  # a documented maximum may cost what it says: listed, not judged
                    outcome = "slow"
                    slow.append(f"{name}({param}={label})")
                count("range edge", outcome, t0)
                if inside and outcome not in ("accepted", "joint refusal", "slow"):
                    failures.append(f"{name}({param}={label}, just inside its documented range): {outcome}"
                                    + (f": {result}" if isinstance(result, str) else ""))
                elif not inside and outcome != "named":
                    failures.append(f"{name}({param}={label}, just outside its documented range): {outcome}")
        for label, params, change in missing_method_cases(kwargs):  # a method the table or runs lack
            fresh = make()
            fresh.update(change)
            t0 = time.process_time()
            outcome, result = classify(module, name, fresh, params[0], name in spec.FINITE_EXEMPT, detail=True)
            if outcome == "unnamed" and params[1] in result:
                outcome = "named"
            count("missing method", outcome, t0)
            if outcome == "accepted":
                table_accepted(f"{name}({label})", result)
            elif outcome != "named":
                failures.append(f"{name}({label}): {outcome}" + (f": {result}" if isinstance(result, str) else ""))
    return counts, failures, accepted_tables


# ----------------------------------------------------------------------------- tests
@pytest.mark.parametrize("module_name", required_modules())
def test_every_public_callable_has_a_bad_input_spec(module_name):
    specs = all_specs()
    mine = [s for s in specs if s.MODULE == module_name]
    assert mine, f"{module_name}: no tests/api_specs file names it (MODULE = {module_name!r})"
    covered = set().union(*(set(s.SPECS) | set(s.SKIP) for s in mine))
    module = importlib.import_module(module_name)
    missing = [n for n in public_callables(module) if n not in covered]
    assert not missing, f"{module_name}: public callables without a bad-input spec: {missing}"
    for s in mine:
        for name, why in s.SKIP.items():
            assert isinstance(why, str) and len(why.strip()) > 10, f"{module_name}.{name}: SKIP needs a reason"


MKDTEMP_ELSEWHERE: dict[str, str] = {}  # spec files another change owns


@pytest.mark.parametrize("spec_name", sorted(SPECS))
def test_a_spec_leaves_no_files_behind(spec_name):
    """A spec that needs a file writes it in a tempfile.TemporaryDirectory that an lru_cache holds (removed when
    the spec is dropped or the process ends), never with tempfile.mkdtemp, whose folder outlives the tests."""
    text = SPECS[spec_name].read_text()
    if "mkdtemp(" in text and spec_name in MKDTEMP_ELSEWHERE:
        pytest.xfail(MKDTEMP_ELSEWHERE[spec_name])
    assert "mkdtemp(" not in text, f"tests/api_specs/{spec_name}.py: use a TemporaryDirectory, not mkdtemp"


@pytest.fixture(autouse=True)
def _elsewhere(tmp_path, monkeypatch):
    """A bad path such as "x" that a callable accepts is written in a temporary folder, never the checkout,
    and what the swept calls record (claims of "99_sweep", ...) goes to a temporary build folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))


# Failures found in topics whose method files another change is fixing: spec -> {the failure's text up to its
# outcome: "fixed in <topic>"}. A spec whose every failure is listed is an expected failure (xfail) that names
# them; a failure not listed fails the test, and a listed one that no longer occurs is a warning to remove it.
KNOWN_ELSEWHERE: dict[str, dict[str, str]] = {}


@pytest.mark.parametrize("spec_name", sorted(SPECS))
def test_bad_input_sweep(spec_name):
    spec = load_spec(SPECS[spec_name])
    counts, failures, accepted_tables = sweep(spec)
    out = repo_root() / "build" / "bad_input" / f"{spec_name}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"module": spec.MODULE, "counts": counts, "failures": failures,
                               "accepted_tables": accepted_tables, "slow_edges": SLOW_EDGES.get(spec.MODULE, []),
                               "cpu_seconds": {k: round(v, 2) for k, v in CPU_SECONDS.get(spec.MODULE, {}).items()}},
                              indent=2))
    known = KNOWN_ELSEWHERE.get(spec_name, {})
    rest = [f for f in failures if not any(f.startswith(k) for k in known)]
    assert not rest, (f"{spec.MODULE}: {len(rest)} bad-input call(s) not refused clearly "
                      f"(counts {counts}):\n" + "\n".join(rest[:60]))
    stale = [k for k in known if not any(f.startswith(k) for f in failures)]
    if stale:  # a warning, not a failure: a fix landing elsewhere must not break this test
        warnings.warn(f"{spec.MODULE}: KNOWN_ELSEWHERE lists failures that no longer occur; remove them: {stale}")
    if failures:
        pytest.xfail("; ".join(f"{f} ({next(v for k, v in known.items() if f.startswith(k))})" for f in failures))


def _bad_array(arr: np.ndarray):
    """Hypothesis: arrays of the valid one's shape with non-finite entries, or of the wrong shape."""
    shape = arr.shape
    floats = st.floats(allow_nan=True, allow_infinity=True, width=64)
    wrong_shape = hnp.array_shapes(min_dims=0, max_dims=max(1, arr.ndim + 1), min_side=0, max_side=3).filter(
        lambda s: s != shape)
    return st.one_of(
        hnp.arrays(np.float64, shape, elements=floats).filter(lambda a: a.size and not np.isfinite(a).all()),
        wrong_shape.flatmap(lambda s: hnp.arrays(np.float64, s, elements=st.floats(-1, 1))),
    )


def _bad_scalar(v):
    if isinstance(v, (bool, np.bool_)):
        return st.one_of(st.integers(2, 5), st.text(max_size=3))
    if isinstance(v, (int, np.integer)):
        return st.one_of(st.integers(max_value=-1), st.integers(min_value=10**10), st.floats(allow_nan=True))
    if isinstance(v, (float, np.floating)):
        return st.one_of(st.sampled_from([math.nan, math.inf, -math.inf]), st.floats(min_value=1e10),
                         st.floats(max_value=-1e10))
    if isinstance(v, str):
        return st.text(max_size=6).filter(lambda s: s != v)
    return st.sampled_from([None, "x", -3, math.nan])


@pytest.mark.parametrize("spec_name", sorted(SPECS))
def test_bad_input_generated(spec_name):
    """Hypothesis draws a callable, an argument and a generated bad value for it."""
    spec = load_spec(SPECS[spec_name])
    if not spec.SPECS:
        pytest.skip(f"{spec.MODULE}: every public callable is skipped with a reason")
    module = importlib.import_module(spec.MODULE)
    names = sorted(spec.SPECS)

    @given(data=st.data())
    def run(data):
        name = data.draw(st.sampled_from(names), label="callable")
        kwargs = spec.SPECS[name]()
        params = [k for k in kwargs if k != "self"]
        if not params:
            return
        param = data.draw(st.sampled_from(params), label="parameter")
        v = kwargs[param]
        if isinstance(v, np.ndarray) and v.dtype.kind in "fiu":
            bad = data.draw(_bad_array(v), label="bad array")
        elif _is_tensor(v) and v.dtype.is_floating_point:
            import torch
            bad = torch.from_numpy(data.draw(_bad_array(v.detach().cpu().numpy().astype(np.float64)))).to(v.dtype)
        else:
            bad = data.draw(_bad_scalar(v), label="bad value")
        kwargs[param] = bad
        outcome = classify(module, name, kwargs, param, name in spec.FINITE_EXEMPT)
        assert outcome in ("named", "accepted"), f"{name}({param}={bad!r}): {outcome}"

    run()
