"""The paper-scale tier: every topic's "paper" preset resolves, the tier runs end to end on one notebook with
a tiny override, a record lands in results/<scale>/, and torch training honours LAB_DEVICE (CPU path)."""
import importlib
import json
import re

import numpy as np
import pytest
import torch

from conftest import QUICK

import lab.__main__ as cli
from lab.core import claims, registry, resolve_scale, torch_device

TOPICS = [e for e in registry.existing() if importlib.util.find_spec(f"lab.{e.topic}") is not None]


@pytest.mark.parametrize("entry", TOPICS, ids=[e.name for e in TOPICS])
def test_paper_preset_resolves_with_the_small_presets_settings(entry):
    presets = importlib.import_module(f"lab.{entry.topic}").SCALES
    assert {"small", "paper"} <= set(presets), f"{entry.name} lacks a small or a paper preset"
    paper = resolve_scale(presets, "paper")
    small = resolve_scale(presets, "small")
    # the notebook reads one set of names: a setting only one preset has would fail at paper scale
    assert set(paper.as_dict()) == set(small.as_dict()), (
        f"{entry.name}: settings only in one preset: {sorted(set(paper.as_dict()) ^ set(small.as_dict()))}")


def test_tier_runs_end_to_end_on_one_notebook_with_a_tiny_override(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path))
    nb = "16_unstable_rl"  # one of the quickest notebooks with a paper preset, at its quick settings
    record = cli.run_tier([nb], "paper", overrides=QUICK[nb])
    assert record["failed"] == [] and record["seconds"][nb] > 0
    out = capsys.readouterr().out
    assert f"{nb}: expected" in out  # the expected time is printed before the run
    saved = json.loads((tmp_path / "claims" / f"{nb}.paper.json").read_text())
    assert saved["scale"] == "paper" and saved["claims"], "the paper-scale claims went elsewhere"
    assert json.loads((tmp_path / "paper" / "timings.json").read_text())["overrides"] == QUICK[nb]
    assert not (tmp_path / "claims" / f"{nb}.json").exists(), "a paper run overwrote small-scale claims"


def test_record_lands_in_results_with_time_machine_and_commit(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setattr(claims, "results_dir", lambda scale: tmp_path / "results" / scale)

    def fake_execute(name, scale="small", handout=False, overrides=None):
        rec = claims.start(name, scale)
        rec.fact("a setting", 1.0)
        return tmp_path

    monkeypatch.setattr(cli, "execute", fake_execute)
    info = cli._run_one("10_mg_synapse", "paper", None, record=True)
    assert info["error"] is None
    run = json.loads((tmp_path / "results" / "paper" / "10_mg_synapse.run.json").read_text())
    assert {"seconds", "cpu_seconds", "commit", "cores", "cpu", "load_average_before"} <= set(run)
    assert (tmp_path / "results" / "paper" / "10_mg_synapse.paper.json").is_file()
    with pytest.raises(ValueError, match="--record"):
        cli._run_one("10_mg_synapse", "paper", {"m": 10}, record=True)
    assert cli.main(["run", "10", "--scale", "small", "--record"]) == 2


def test_report_reads_the_committed_paper_run(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.setattr(claims, "results_dir", lambda scale: tmp_path / "results" / scale)
    m = claims.Measured(2.0, True, "")
    kw = dict(paper="2x", paper_value=2.0, unit="x", tolerance=claims.rel(0.1, "test"), fails_if="below 1.8x")
    claims.start("10_mg_synapse", "small").check("speedup", measured=m, **kw)
    (tmp_path / "results" / "paper").mkdir(parents=True)
    claims.start("10_mg_synapse", "paper").check("speedup", measured=claims.Measured(1.0, False, ""),
                                                     must_hold=False, note="too small a run", **kw)
    (tmp_path / "build" / "claims" / "10_mg_synapse.paper.json").rename(
        tmp_path / "results" / "paper" / "10_mg_synapse.paper.json")
    text = claims.report()
    assert "Verdict (paper)" in text and "not reproduced" in text and "reproduced" in text


def test_torch_device_is_the_cpu_unless_asked(monkeypatch):
    monkeypatch.delenv("LAB_DEVICE", raising=False)
    assert torch_device() == torch.device("cpu")
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    assert torch_device() == torch.device("cpu")
    monkeypatch.setenv("LAB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="LAB_DEVICE"):
        torch_device()
    with pytest.raises(TypeError, match="name"):
        torch_device(3)
    with pytest.raises(ValueError, match="cuda:x"):
        torch_device("cuda:x")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            torch_device("cuda")


def test_training_honours_lab_device(monkeypatch):
    """Training consults LAB_DEVICE: the CPU path trains and returns a CPU model; a device this machine
    lacks stops training with the device named, instead of silently training on the CPU."""
    from lab import anomaly

    X = np.random.default_rng(0).normal(size=(8, 16))
    monkeypatch.setenv("LAB_DEVICE", "cpu")
    det = anomaly.train_detector(X, epochs=3)
    assert all(p.device.type == "cpu" for p in det.model.parameters())
    if not torch.cuda.is_available():
        monkeypatch.setenv("LAB_DEVICE", "cuda")
        with pytest.raises(ValueError, match="LAB_DEVICE"):
            anomaly.train_detector(X, epochs=3)


def test_a_failing_claim_stops_a_small_run_but_is_recorded_in_a_paper_run(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_BUILD_DIR", str(tmp_path))
    kw = dict(paper="2x", paper_value=2.0, unit="x", tolerance=claims.rel(0.1, "test"), fails_if="below 1.8x",
              measured=claims.Measured(1.0, False, ""))
    with pytest.raises(claims.ClaimFailed):
        claims.start("10_mg_synapse", "small").check("speedup", **kw)
    with pytest.warns(UserWarning, match="paper scale"):
        t = claims.start("10_mg_synapse", "paper").check("speedup", **kw)
    (row,) = t.records()
    assert row["verdict"] == "not reproduced" and "does not hold at paper scale" in row["note"]
    monkeypatch.setenv("LAB_SCALE_OVERRIDES", '{"epochs": 1}')  # a quick look with overridden settings
    with pytest.warns(UserWarning, match="overridden settings"):
        t = claims.start("10_mg_synapse", "small").check("speedup", **kw)
    assert "small scale with overridden settings" in t.records()[0]["note"]


@pytest.mark.parametrize("entry", TOPICS, ids=[e.name for e in TOPICS])
def test_notebook_says_how_its_paper_preset_differs_from_the_paper(entry):
    import nbformat

    nb = nbformat.read(entry.path, as_version=4)
    cells = [c.source for c in nb.cells if c.cell_type == "markdown" and c.source.lstrip().startswith("**Scales.**")]
    assert len(cells) == 1, f"{entry.name}: one markdown cell starting with **Scales.** (after the parameters cell)"
    text = cells[0]
    assert "`paper`" in text and "`small`" in text, f"{entry.name}: the Scales cell names both presets"
    assert re.search(r"differs?\s+from\s+the\s+paper", text), f"{entry.name}: say how the paper preset differs from the paper"
