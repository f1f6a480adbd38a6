"""Unit tests of lab.core: checks, scale, claims, stats, registry, plotting, seeding, CLI, viz3d."""
import json

import numpy as np
import pytest

from lab.__main__ import main
from lab.core import checks, claims, plotting, registry, resolve_scale, seed_everything, stats


def test_checks_accept_and_reject():
    assert checks.check_positive("width", 2) == 2.0
    with pytest.raises(ValueError, match=r"width must be in \(0, inf\]"):
        checks.check_positive("width", 0)
    with pytest.raises(ValueError, match="amplitude must be finite"):
        checks.check_number("amplitude", float("nan"))
    with pytest.raises(TypeError, match="count must be an integer"):
        checks.check_int("count", 1.5, lo=1)
    with pytest.raises(ValueError, match=r"count must be an integer in \[1, inf\]"):
        checks.check_int("count", 0, lo=1)
    with pytest.raises(ValueError, match="mode must be one of"):
        checks.check_choice("mode", "x", ["voltage", "current"])
    with pytest.raises(ValueError, match=r"depth must have shape \(any, 3\)"):
        checks.check_array("depth", np.zeros((4, 2)), shape=(None, 3))
    with pytest.raises(ValueError, match="depth must be finite"):
        checks.check_array("depth", [1.0, np.inf])
    with pytest.raises(TypeError, match="numeric array"):
        checks.check_array("depth", ["a", "b"])
    with pytest.raises(ValueError, match=">= 0"):
        checks.check_array("depth", [-1.0, 2.0], lo=0)


def test_scale_presets():
    presets = {"small": {"n": 3}, "paper": {"n": 300}}
    cfg = resolve_scale(presets, "paper")
    assert cfg.n == 300 and cfg.name == "paper"
    assert resolve_scale(presets, "small", n=5).n == 5
    with pytest.raises(ValueError, match=r"scale must be one of \['paper', 'small'\]"):
        resolve_scale(presets, "huge")
    with pytest.raises(ValueError, match="unknown setting"):
        resolve_scale(presets, "small", m=1)


def test_seed_everything_is_reproducible():
    import torch
    a = seed_everything(7).normal(size=3), torch.rand(2)
    b = seed_everything(7).normal(size=3), torch.rand(2)
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1])
    with pytest.raises(ValueError, match="seed must be an integer"):
        seed_everything(-1)


def test_claims_contract_verdicts_and_files(build_tmp):
    rec = claims.start("99_demo", "small")
    q = claims.qualitative("the paper gives no number")
    t = rec.check("within tolerance", paper="8x", paper_value=8.0, unit="x",
                  measured=claims.Measured(np.float64(7.9), True), tolerance=claims.rel(0.1, "run-to-run spread"),
                  fails_if="ours below 7.2x or above 8.8x")
    assert t.rows[-1][1].verdict == claims.REPRODUCED
    rec.check("right direction, far number", paper="3.7x", paper_value=3.7, unit="x",
              measured=claims.Measured(11.5, True), tolerance=claims.rel(0.3, "model, not hardware"),
              fails_if="speedup below 1x")
    rec.check("a weak one", paper="yes", unit="", measured=claims.Measured("no", False, note="too small here"),
              tolerance=q, fails_if="accuracy gain <= 0", must_hold=False)
    rec.check("a bound", paper="> 600x", unit="x", measured=claims.Measured(700, True),
              tolerance=claims.at_least(600, "the paper states a bound"), fails_if="ratio < 1")
    rec.fact("model size", 412, unit="parameters")
    data = json.loads((build_tmp / "claims" / "99_demo.json").read_text())
    assert data["scale"] == "small"
    assert [c["verdict"] for c in data["claims"]] == [claims.REPRODUCED, claims.DIRECTION, claims.NOT_REPRODUCED,
                                                    claims.REPRODUCED]
    assert data["facts"][0]["fact"] == "model size"
    md = rec.table().to_markdown()
    assert "ours/paper 3.11" in md and "Setup facts" in md and "would fail if" in md
    report = claims.report()
    assert "2 reproduced, 1 direction only, 1 not reproduced" in report
    assert claims.status("99_demo") == "2 reproduced, 1 direction only, 1 not reproduced"
    with pytest.raises(claims.ClaimFailed, match="did not hold"):
        rec.check("must hold", paper="1", unit="", measured=claims.Measured(0, False), tolerance=q, fails_if="x")
    assert "<table" in rec.table()._repr_html_()
    # a paper-scale recorder writes its own file
    claims.start("99_demo", "paper").check("p", paper="1", unit="", measured=claims.Measured(1, True),
                                          tolerance=q, fails_if="x")
    assert (build_tmp / "claims" / "99_demo.paper.json").is_file()
    assert "Verdict (paper)" in claims.report()
    # the README's short form: counts per notebook at each scale, and the link to the full table
    short = claims.summary(link="CLAIMS.md")
    assert "[CLAIMS.md](CLAIMS.md)" in short and "5 claims and 1 setup facts" in short
    assert "| 99_demo | 2 | 1 | 1 |" in short  # the committed paper tier has no 99_demo: "–" there


def test_claims_refuse_what_cannot_be_judged(build_tmp):
    rec = claims.start("99_demo")
    q = claims.qualitative("no number")
    ok = dict(paper="1", unit="", measured=claims.Measured(1.0, True), tolerance=q, fails_if="x < 0")
    with pytest.raises(TypeError, match="holds must be a bool"):
        claims.Measured(1.0, "no")
    with pytest.raises(ValueError, match="must be finite"):
        claims.Measured(float("nan"), True)
    with pytest.raises(TypeError, match="tolerance"):
        rec.check("no tolerance", **{**ok, "tolerance": None})
    with pytest.raises(TypeError, match="fails_if"):
        rec.check("no way to fail", **{**ok, "fails_if": None})
    with pytest.raises(ValueError, match="fails_if must be a non-empty"):
        rec.check("no way to fail", **{**ok, "fails_if": "  "})
    with pytest.raises(ValueError, match="paper_value is needed"):
        rec.check("rel without paper", **{**ok, "tolerance": claims.rel(0.1, "why")})
    with pytest.raises(TypeError, match="measured must be Measured"):
        rec.check("raw number", **{**ok, "measured": 1.0})
    with pytest.raises(ValueError, match="note must say why"):
        rec.check("silent failure", **{**ok, "measured": claims.Measured(0, False)}, must_hold=False)
    with pytest.raises(ValueError, match="notebook must look like"):
        claims.start("98_x\n")
    with pytest.raises(ValueError, match="notebook must look like"):
        claims.start("demo")
    with pytest.raises(ValueError, match="control characters"):
        rec.check("two\nlines", **ok)
    with pytest.raises(ValueError, match="why must be"):
        claims.rel(0.1, "")
    with pytest.raises(ValueError, match="fraction"):
        claims.rel(-1, "why")
    with pytest.raises(ValueError, match="lo must be <= hi"):
        claims.band(2, 1, "why")


def test_claims_report_skips_a_corrupted_file(build_tmp):
    claims.start("99_demo").check("fine", paper="1", unit="", measured=claims.Measured(1, True),
                                  tolerance=claims.qualitative("no number"), fails_if="x")
    (build_tmp / "claims" / "98_broken.json").write_text("{not json")
    (build_tmp / "claims" / "misnamed file.json").write_text("{}")
    with pytest.warns(UserWarning, match="98_broken.json"):
        text = claims.report()
    assert "fine" in text
    with pytest.warns(UserWarning, match="misnamed file.json"):
        claims.table()


def test_registry_lookup():
    assert registry.by_name("3").name == "03_synapse"
    assert registry.by_name("synapse").number == 3
    assert len(registry.ENTRIES) == 17
    assert [e.number for e in registry.ENTRIES] == list(range(1, 18))
    with pytest.raises(ValueError, match="valid notebooks are"):
        registry.by_name("nope")


def test_plotting_requires_units():
    fig = plotting.figure(plotting.label("time", "s"), plotting.label("G", "µS"))
    assert fig.layout.xaxis.title.text == "time [s]"
    assert plotting.unlabelled_axes(fig) == []
    with pytest.raises(ValueError, match="must carry a unit"):
        plotting.figure("time", "G [S]")
    assert plotting.label("ratio", "") == "ratio [–]"


def test_cli_errors_are_clear(capsys, build_tmp):
    assert main(["run", "nope"]) == 2
    assert "valid notebooks are" in capsys.readouterr().err
    assert main(["run", "03", "--scale", "galactic"]) == 2
    assert "scale must be one of" in capsys.readouterr().err
    assert main(["report"]) == 0
    assert main(["list"]) == 0
    assert "03_synapse" in capsys.readouterr().out


def test_viz3d_plotly_view():
    from lab.core import viz3d
    o3d = viz3d.open3d()
    assert o3d is not None, viz3d.import_error()
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.random.default_rng(0).normal(size=(50, 3))))
    box = pc.get_axis_aligned_bounding_box()
    mesh = o3d.geometry.TriangleMesh.create_box()
    fig = viz3d.to_plotly([pc, box, mesh])
    assert len(fig.data) == 3 and fig.layout.scene.xaxis.title.text == "x [m]"
    with pytest.raises(ValueError, match="geometries must be"):
        viz3d.to_plotly([])
    with pytest.raises(TypeError, match="geometries must hold"):
        viz3d.to_plotly([np.zeros(3)])
    with pytest.raises(ValueError, match="elevation_deg"):
        viz3d.orbit_eye([0, 0, 0], 1.0, 0.0, 95.0)


def test_viz3d_offscreen_render_or_clear_fallback():
    from lab.core import viz3d
    o3d = viz3d.open3d()
    if not viz3d.can_render():
        pytest.skip("Open3D cannot render offscreen here (needs mesa-vulkan-drivers); views fall back to plotly")
    # unlit points compile fast on a CPU (llvmpipe); a lit mesh costs ~15 s of shader compilation
    pc = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(np.random.default_rng(1).normal(size=(200, 3))))
    img = viz3d.render([pc, pc.get_axis_aligned_bounding_box()], width=96, height=64)
    assert img.shape == (64, 96, 3) and img.dtype == np.uint8 and img.std() > 1.0
    with pytest.raises(ValueError, match="width must be an integer"):
        viz3d.render([pc], width=4)
    pc.paint_uniform_color([0.1, 0.1, 0.8])
    small = viz3d.render([pc], width=96, height=64, point_size=[1.0])
    large = viz3d.render([pc], width=96, height=64, point_size=[8.0])
    assert large.mean() < small.mean() - 2, "larger (dark) points must darken more of the white image"
    with pytest.raises(ValueError, match="one size per geometry"):
        viz3d.render([pc, pc], point_size=[2.0])


def test_widgets_demo_explorer_drives():
    from lab.core.widgets import demo
    ex = demo()
    before = list(ex.figures[0].data[0].y)
    ex.apply_preset("slow")
    assert ex.controls["tau"].value == 4.0 and list(ex.figures[0].data[0].y) != before
    assert "time to 90 %" in ex.readout.value
    with pytest.raises(ValueError, match="unknown control"):
        ex.set(nope=1)


def test_explorer_preset_dropdown_names_the_matching_preset():
    """The preset dropdown names the preset the controls match, "(custom)" once they leave it; naming a
    preset the controls were moved onto never runs the update again."""
    from lab.core.widgets import demo
    ex = demo()
    assert ex.preset.value == "(custom)" and ex.matching_preset() == "(custom)"    # τ = 1.0 is no preset
    ex.preset.value = "slow"
    assert ex.controls["tau"].value == 4.0 and ex.preset.value == "slow"
    ex.set(v0=1.5)                                   # a control the preset leaves alone: still "slow"
    assert ex.preset.value == "slow"
    ex.set(tau=2.0)
    assert ex.preset.value == "(custom)"
    calls = []
    update, ex._update = ex._update, lambda: calls.append(1) or update()
    ex.controls["tau"].value = 0.3                   # moved by hand onto "fast"
    assert ex.preset.value == "fast" and len(calls) == 1


# ----------------------------------------------------------------------------- stats: the significance rule
def test_paired_interval_known_answer():
    # differences 1, 2, 3: mean 2, sem 1/sqrt(3), t(0.975, 2) = 4.302652729749464
    iv = stats.paired_interval([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    half = 4.302652729749464 / np.sqrt(3)
    assert (iv.mean, iv.n, iv.paired) == (2.0, 3, True)
    assert iv.lo == pytest.approx(2.0 - half, rel=1e-12) and iv.hi == pytest.approx(2.0 + half, rel=1e-12)
    assert not iv.excludes_zero() and not iv.above(0.0) and not stats.significant([2.0, 4.0, 6.0], [1.0, 2.0, 3.0])
    assert iv.text() == "2.00 [-0.48, 4.48] (95 % paired t, n = 3)"
    assert stats.mean_interval([1.0, 2.0, 3.0]).text(1, " %") == "2.0 [-0.5, 4.5] % (95 % t, n = 3)"
    assert stats.mean_std_text([1.0, 2.0, 3.0], 1) == "2.0 ± 1.0"            # ddof=1
    same = stats.paired_interval([1.5, 1.5], [0.5, 0.5])                      # no spread: the one number
    assert (same.lo, same.hi) == (1.0, 1.0) and same.excludes_zero() and same.above(0.0)
    assert stats.paired_interval([0.0, 1.0, 2.0], [3.0, 3.5, 4.0]).below(0.0)


@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_paired_interval_is_scipys(level):
    from scipy import stats as sps

    rng = np.random.default_rng(7)
    for n in (2, 3, 5, 20):
        a, b = rng.normal(0.7, 0.1, n), rng.normal(0.65, 0.1, n)
        iv = stats.paired_interval(a, b, level)
        ref = sps.ttest_rel(a, b).confidence_interval(level)
        assert (iv.lo, iv.hi) == pytest.approx((ref.low, ref.high), rel=1e-10)
        assert (iv.lo, iv.hi) == pytest.approx(sps.t.interval(level, n - 1, loc=(a - b).mean(),
                                                              scale=sps.sem(a - b)), rel=1e-10)
        # excluding zero is the two-sided test at 1 - level
        assert iv.excludes_zero() == (sps.ttest_rel(a, b).pvalue < 1 - level)


def test_interval_refuses_what_it_cannot_judge():
    with pytest.raises(ValueError, match="at least 2"):
        stats.paired_interval([1.0], [0.0])
    with pytest.raises(ValueError, match="finite"):
        stats.paired_interval([1.0, np.nan, 2.0], [0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="as many values as a"):
        stats.paired_interval([1.0, 2.0, 3.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="level"):
        stats.mean_interval([1.0, 2.0], level=1.0)
    with pytest.raises(ValueError, match="lo"):
        stats.Interval(mean=1.0, lo=1.5, hi=2.0, n=3)
    with pytest.raises(ValueError, match="n"):
        stats.Interval(mean=1.0, lo=0.5, hi=2.0, n=1)


def test_interval_properties():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    pairs = st.integers(2, 30).flatmap(lambda n: st.tuples(
        st.lists(st.floats(-100, 100), min_size=n, max_size=n), st.lists(st.floats(-100, 100), min_size=n, max_size=n)))

    @settings(max_examples=60, deadline=None, derandomize=True)
    @given(pairs, st.sampled_from([0.8, 0.9, 0.95, 0.99]))
    def run(ab, level):
        a, b = np.array(ab[0]), np.array(ab[1])
        iv = stats.paired_interval(a, b, level)
        assert iv.lo <= iv.mean <= iv.hi and iv.n == len(a)
        assert iv.mean == pytest.approx((a - b).mean(), abs=1e-9)
        swapped = stats.paired_interval(b, a, level)                  # antisymmetric
        assert (swapped.lo, swapped.hi) == pytest.approx((-iv.hi, -iv.lo), abs=1e-9)
        wider = stats.paired_interval(a, b, 0.999)                    # a higher level never narrows it
        assert wider.lo <= iv.lo + 1e-9 and wider.hi >= iv.hi - 1e-9
        shifted = stats.paired_interval(a + 3.0, b, level)            # shift-equivariant
        assert (shifted.lo, shifted.hi) == pytest.approx((iv.lo + 3.0, iv.hi + 3.0), abs=1e-6)
        assert iv.scaled(100.0).hi == pytest.approx(100.0 * iv.hi)
        assert iv.excludes_zero() == (iv.above(0.0) or iv.below(0.0))

    run()



def test_live_figures_wrap_plotlys_view_with_the_width_check():
    """Every live figure is the workbench's FigureWidget: plotly's module, imported once per page, with its
    view wrapped (the wrapper re-measures a figure drawn before its cell was laid out), responsive."""
    from pathlib import Path

    import plotly.graph_objects as go

    from lab.core import widgets

    esm = str(widgets.FigureWidget._esm)
    assert "__labFitWrap" in esm, "plotly's bundle changed: _fit_esm fell back to it unwrapped"
    # the module is small; plotly's bundle travels beside it and is imported once per page (under its hash)
    assert len(esm) < 20_000 and "globalThis[KEY]" in esm and "export default __labFitWrap(__labLoad);" in esm
    assert len(widgets.FigureWidget().get_state()["_lab_bundle"]) > 1_000_000  # plotly.js inside
    # the wrapper hands the kernel's messages that came while the bundle loaded to plotly's model through its
    # `model.on` / `model.get`: plotly's model must still read them that way
    bundle = (Path(go.__file__).parent.parent / "package_data" / "widgetbundle.js").read_text(encoding="utf-8")
    for name in ("_py2js_addTraces", "_py2js_restyle", "_py2js_relayout", "_py2js_update"):
        assert f'this.model.on("change:{name}"' in bundle and f'this.model.get("{name}")' in bundle, name
    # plotly's Python side sends "leave as it is" as the string "_undefined_", which only its ipywidgets model
    # turned back (anywidget runs no deserializer): the wrapper does it for plotly's model
    assert '"_undefined_"' in bundle and '"_undefined_"' in esm and "__labUndef(t.get(n))" in esm
    fig = widgets.figure_widget(go.Figure([go.Scatter(x=[1, 2], y=[5, 5]), go.Scatter(x=[1, 2], y=[1, 2])]))
    sent = []
    fig.observe(lambda ch: ch["new"] is not None and sent.append(ch["new"]), names=["_py2js_restyle", "_py2js_update"])
    with fig.batch_update():
        fig.data[0].x = [1, 3]              # y unchanged: the batch says "leave y" for this trace
        fig.data[1].y = [2, 1]
    from plotly.serializers import _py_to_js
    assert "_undefined_" in str(_py_to_js(sent[-1], None)), "plotly no longer sends '_undefined_': drop __labUndef"
    fig = widgets.figure_widget(go.Figure(go.Scatter(y=[1, 2, 3])))
    assert isinstance(fig, go.FigureWidget) and len(fig.data) == 1
    assert fig.layout.autosize and fig.layout.width is None and fig._config["responsive"]
    lab = Path(widgets.__file__).resolve().parents[1]
    direct = [str(p.relative_to(lab)) for p in lab.rglob("*.py") if "go.FigureWidget(" in p.read_text()]
    assert direct == [], f"live figures built with go.FigureWidget (use widgets.figure_widget): {direct}"


def test_second_pass_bad_input_core_and_data():
    """A log slider's exponents stay where 10**x is a finite float; a Digits split checks what it holds."""
    import pytest

    from lab.core.widgets import slider
    from lab.data import Digits, load_digits

    with pytest.raises(ValueError, match="hi must be"):
        slider("f", 10.0, 0.0, 400.0, 0.1, log=True)
    assert slider("f", 10.0, 0.0, 300.0, 0.1, log=True).max == 300.0
    d = load_digits(n_train=20, n_test=10)
    with pytest.raises(ValueError, match="x_train must be a float32 array"):
        Digits(None, d.y_train, d.x_test, d.y_test, d.classes)
    with pytest.raises(ValueError, match="y_test must hold labels"):
        Digits(d.x_train, d.y_train, d.x_test, d.y_test + 10, d.classes)
    with pytest.raises(ValueError, match="classes must be a tuple"):
        Digits(d.x_train, d.y_train, d.x_test, d.y_test, (3,))
    with pytest.raises(ValueError, match="x_test must have the per-image shape"):
        Digits(d.x_train, d.y_train, d.x_test.reshape(len(d.x_test), 64), d.y_test, d.classes)


def test_explorer_says_when_it_is_busy():
    """The status line reads "updating…" while the update runs and is cleared (or gives the time) after."""
    import time

    from lab.core.widgets import demo

    ex = demo()
    seen = []
    update = ex._update

    def slow():
        seen.append(ex.status.value)
        time.sleep(0.12)
        update()

    ex._update = slow
    ex.set(**{k: v for k, v in ex.defaults.items()})
    assert seen and "updating" in seen[0]
    assert "updating" not in ex.status.value and "updated in" in ex.status.value


def test_start_page_claims_fall_back_to_the_committed_records(build_tmp):
    # a fresh clone: nothing in build/claims, so the committed paper-scale records are shown, and said to be
    t, where = claims.available()
    assert len(t) > 0 and "results/paper/" in where and "no notebook has run" in where
    claims.start("99_demo").check("fine", paper="1", unit="", measured=claims.Measured(1, True),
                                  tolerance=claims.qualitative("no number"), fails_if="x")
    t, where = claims.available()
    assert [nb for nb, _ in t.rows] == ["99_demo"] and "build/claims/" in where


def test_why_not_enters_the_note_only_when_the_claim_does_not_hold(build_tmp):
    rec = claims.start("99_demo")
    kw = dict(paper="1", unit="", tolerance=claims.qualitative("no number"), fails_if="x", must_hold=False,
              why_not="too few seeds here")
    held = rec.check("held", measured=claims.Measured(1, True), **kw).rows[-1][1]
    failed = rec.check("failed", measured=claims.Measured(0, False), **kw).rows[-1][1]
    assert "too few seeds" not in held.note and held.verdict == claims.REPRODUCED
    assert "too few seeds" in failed.note and failed.verdict == claims.NOT_REPRODUCED
    with pytest.raises(ValueError, match="why_not"):
        rec.check("bad", measured=claims.Measured(1, True), **{**kw, "why_not": "two\nlines"})


def test_memo_hits_bound_and_keys_by_value():
    """The explorers' one memo: a call it holds does not run the function again, a float is keyed by its
    value (a slider's 0.1 + 0.2 finds 0.3), the least recently used result goes past the bound, and an
    argument that cannot key it is refused by name."""
    from lab.core.widgets import Memo, memo

    calls = []

    @memo(2)
    def f(a, b=1.0):
        calls.append((a, b))
        return a * b

    assert f(0.1 + 0.2, b=2.0) == f(0.3, b=2.0) and len(calls) == 1
    assert f.info() == (1, 1, 2, 1) and f.holds(0.3, b=2.0) and not f.holds(0.3, b=3.0)
    f(1.0)
    f(0.3, b=2.0)                    # touched: now the most recently used
    f(2.0)                           # a third result: the least recently used (1.0) goes
    assert f.holds(0.3, b=2.0) and not f.holds(1.0) and f.info().currsize == 2
    f(1.0)
    assert len(calls) == 4           # 1.0 ran again after its eviction
    assert f.__name__ == "f"
    with pytest.raises(TypeError, match="args\\[0\\] must be hashable"):
        f({1: 2})
    with pytest.raises(ValueError, match="maxsize"):
        Memo(len, maxsize=0)
    with pytest.raises(TypeError, match="fn must be callable"):
        Memo(3)
    f.clear()
    assert f.info() == (0, 0, 2, 0)


def test_explorer_declares_its_recompute_controls_and_says_what_it_computes():
    import ipywidgets as W

    from lab.core.widgets import Explorer, slider

    s = slider("x", 1.0, 0.0, 2.0, 0.1)
    seen = []
    ex = None

    def update():
        ex.busy("training the model")
        seen.append(ex.status.value)

    ex = Explorer({"x": s}, [], update, W.HTML(), recompute=["x"])
    assert ex.recompute == {"x"}
    ex.set(x=0.5)
    assert "training the model…" in seen[-1] and "training" not in ex.status.value
    with pytest.raises(ValueError, match="recompute must name controls"):
        Explorer({"x": s}, [], update, recompute=["y"])
    with pytest.raises(TypeError, match="recompute must be a list"):
        Explorer({"x": s}, [], update, recompute="x")
