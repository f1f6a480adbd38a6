"""Unit tests of lab.core: checks, scale, claims, registry, plotting, seeding, CLI, viz3d."""
import json

import numpy as np
import pytest

from lab.__main__ import main
from lab.core import checks, claims, plotting, registry, resolve_scale, seed_everything


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


def test_claims_roundtrip_and_failure(build_tmp):
    claims.start("99_demo")
    t = claims.check("99_demo", "it works", paper="8x", measured=np.float64(7.9), unit="x", holds=True)
    assert len(t) == 1 and "7.9" in t.to_markdown()
    claims.check("99_demo", "a weak one", paper="3.7x", measured=1.2, unit="x", holds=False,
                 must_hold=False, note="laptop scale")
    data = json.loads((build_tmp / "claims" / "99_demo.json").read_text())
    assert [c["claim"] for c in data["claims"]] == ["it works", "a weak one"]
    assert "not reproduced" in claims.report()
    with pytest.raises(claims.ClaimFailed, match="did not hold"):
        claims.check("99_demo", "must hold", paper="1", measured=0, unit="", holds=False)
    assert claims.status("99_demo") == "1 FAILS, 1 holds, 1 not reproduced"
    with pytest.raises(ValueError, match="note must say why"):
        claims.check("99_demo", "x", paper="1", measured=0, unit="", holds=False, must_hold=False)
    with pytest.raises(ValueError, match="notebook must look like"):
        claims.check("demo", "x", paper="1", measured=0, unit="", holds=True)
    with pytest.raises(TypeError, match="holds must be a bool"):
        claims.check("99_demo", "x", paper="1", measured=0, unit="", holds="yes")
    assert "<table" in t._repr_html_()


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
