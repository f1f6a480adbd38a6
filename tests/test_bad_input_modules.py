"""What the bad-input sweep (tests/test_bad_input.py) cannot reach.

1. `forward` of the public torch modules, called through `module(x)`. Every `torch.nn.Module`
   subclass that a topic's public face (`lab.<topic>.__all__`) or `lab.core.nets` exports has an entry
   in `MODULES`: constructor keyword arguments and a valid input, so a new module needs one (the test
   fails without it). The valid input must run and give a finite output; each bad input (`BAD_KINDS`: the
   other float dtype, a width off by one on the feature/channel axis, an extra leading axis, a missing
   axis, an empty batch, a NaN entry, a numpy array or a list instead of a tensor) must raise a ValueError
   or TypeError whose message names the forward's input parameter. A module that accepts one of them on
   purpose says why in `ACCEPTS`, with the output it must then give (the valid input's, converted by hand).
2. Arguments that are each valid but disagree with each other (`INCONSISTENT`): labels beyond a model's
   classes, lengths that must match, a detector's mean of the wrong length, a mapping for another workload.
   Each must raise a ValueError or TypeError naming one of the two parameters.
"""
from __future__ import annotations

import copy
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn as nn

import lab


# ----------------------------------------------------------------------------- discovery
def public_modules() -> list[str]:
    """Every topic's public face (packages and single-file topics under lab/) and lab.core.nets."""
    names = [f"lab.{m.name}" for m in pkgutil.iter_modules(lab.__path__) if not m.name.startswith("_")]
    return sorted(names) + ["lab.core.nets"]


@lru_cache(maxsize=1)
def exported_module_classes() -> dict[str, type]:
    """'module.Class' -> class, for every torch.nn.Module subclass in a public __all__ (the first
    public module that exports a class names it)."""
    out: dict[str, type] = {}
    seen: set[type] = set()
    for name in public_modules():
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", ()):
            obj = getattr(mod, attr, None)
            if inspect.isclass(obj) and issubclass(obj, nn.Module) and obj not in seen:
                seen.add(obj)
                out[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return out


# ----------------------------------------------------------------------------- valid inputs
def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _rand(*shape, seed: int = 0) -> torch.Tensor:
    return torch.rand(*shape, generator=_gen(seed))


@lru_cache(maxsize=1)
def _tiny_blocks():
    from lab.core import nets
    return nets.mobilenet_v2_specs(0.35, settings=((1, 8, 1, 1), (6, 8, 2, 2)), last_ch=16)


@lru_cache(maxsize=1)
def _coords() -> torch.Tensor:
    """Coordinates (batch, x, y, z) int32 of a small sparse scene (about 60 voxels)."""
    return (torch.rand(1, 6, 6, 6, generator=_gen(0)) < 0.3).nonzero().to(torch.int32).contiguous()


def _sparse(feats: torch.Tensor):
    """A SparseTensor of `feats` on the first rows of _coords() (one row per entry of feats' first axis),
    built unchecked, as a layer's output or a hand-made tensor can be."""
    from lab import sparseconv as sc
    n = feats.shape[0] if feats.ndim else 0
    return sc.SparseTensor(_coords()[:n], feats, check=False)


@lru_cache(maxsize=1)
def _calo_batch():
    from lab import calo
    events = calo.generate_events(1, 0, particles=(2, 2), energy_gev=(3.0, 10.0), dep_per_gev=6.0)
    return calo.make_batch(events, device="cpu")


def _batch(feats: torch.Tensor):
    """The calo Batch with `feats` in place of its features (its other tensors cut to feats' rows):
    a Batch changed after it was built, which its constructor never saw."""
    b = copy.copy(_calo_batch())
    n = feats.shape[0] if feats.ndim else 0
    b.feats = feats
    b.xyz, b.event, b.cluster, b.noise = b.xyz[:n], b.event[:n], b.cluster[:n], b.noise[:n]
    return b


def _neighbours(x) -> tuple:
    """(nbr,): two neighbours (itself and the next row) of each row of x, valid row indices of x."""
    n = len(x) if np.ndim(x) else 0
    i = torch.arange(n)
    return (torch.stack([i, (i + 1) % max(n, 1)], 1),)


@dataclass
class Case:
    """A module's valid construction and input. x: the main input tensor (float); axis: its feature/channel
    axis; param: the forward's input parameter, which refusals must name; wrap: builds that parameter's
    value from a (possibly bad) main tensor (a SparseTensor or a Batch around it; a non-tensor is passed
    as it is); extra: the forward's further arguments, valid for the main input given."""
    kwargs: Callable[[], dict]
    x: Callable[[], torch.Tensor]
    axis: int = 1
    param: str = "x"
    wrap: Callable[[torch.Tensor], Any] | None = None
    extra: Callable[[Any], tuple] | None = None

    def args(self, t) -> tuple:
        main = self.wrap(t) if self.wrap is not None and isinstance(t, torch.Tensor) else t
        return (main,) + (self.extra(t) if self.extra is not None else ())


def _nets():
    from lab.core import nets
    return nets


MODULES: dict[str, Case] = {
    # lab.core.nets
    "lab.core.nets.ConvBNAct": Case(lambda: dict(spec=_nets().ConvSpec(4, 8, 3)), lambda: _rand(2, 4, 8, 8)),
    "lab.core.nets.SpecBlock": Case(lambda: dict(spec=_tiny_blocks()[1]),
                                    lambda: _rand(2, _tiny_blocks()[1].in_ch, 8, 8)),
    "lab.core.nets.SpecNet": Case(lambda: dict(blocks=_tiny_blocks(), num_classes=10), lambda: _rand(2, 3, 32, 32)),
    "lab.core.nets.DynamicConv2d": Case(lambda: dict(max_in=4, max_out=8, kernel=3), lambda: _rand(2, 4, 8, 8)),
    "lab.core.nets.DynamicBatchNorm2d": Case(lambda: dict(num_features=8), lambda: _rand(2, 8, 4, 4)),
    "lab.core.nets.DynamicLinear": Case(lambda: dict(in_features=8, out_features=4), lambda: _rand(3, 8), axis=-1),
    # topics
    "lab.anomaly.models.AutoEncoder": Case(lambda: dict(M=6, hidden=4, code=2), lambda: _rand(5, 6)),
    "lab.calo.models.EdgeConv": Case(lambda: dict(c_in=3, c_out=5), lambda: _rand(6, 3), extra=_neighbours),
    "lab.calo.models.EdgeConvGNN": Case(lambda: dict(widths=(8, 8), k=4, hidden=16, glob=8),
                                        lambda: _calo_batch().feats.clone(), param="b", wrap=_batch),
    "lab.calo.spvcnn.SPVCNN": Case(lambda: dict(cr=0.05), lambda: _calo_batch().feats.clone(), param="b",
                                   wrap=_batch),
    "lab.calo.spvcnn.ConvBlock": Case(lambda: dict(c_in=3, c_out=4), lambda: _rand(len(_coords()), 3), wrap=_sparse),
    "lab.calo.spvcnn.ResidualBlock": Case(lambda: dict(c_in=3, c_out=4), lambda: _rand(len(_coords()), 3),
                                          wrap=_sparse),
    "lab.nacl.train.Encoder": Case(lambda: dict(hidden=16, feat_dim=8, proj_dim=4), lambda: _rand(3, 1, 8, 8)),
    "lab.nacl.train.Probed": Case(lambda: dict(encoder=_nacl_encoder(), linear=nn.Linear(8, 3)),
                                  lambda: _rand(3, 1, 8, 8)),
    "lab.netaug.train.TinyNet": Case(lambda: dict(width=0.25), lambda: _rand(4, 40)),
    "lab.sparseconv.modules.BatchNorm": Case(lambda: dict(num_features=3), lambda: _rand(len(_coords()), 3),
                                             wrap=_sparse),
    "lab.sparseconv.modules.Conv3d": Case(lambda: dict(in_channels=3, out_channels=4),
                                          lambda: _rand(len(_coords()), 3), wrap=_sparse),
    "lab.sparseconv.modules.ReLU": Case(lambda: dict(), lambda: _rand(len(_coords()), 3) - 0.5, wrap=_sparse),
    "lab.tomography.models.Discriminator": Case(lambda: dict(width=2), lambda: _rand(2, 1, 8, 16, 16)),
    "lab.tomography.models.Generator": Case(lambda: dict(width=2), lambda: _rand(2, 1, 8, 16, 16)),
    # the width off by one of a frame: 17 pixels, not a multiple of 8
    "lab.ufm.net.DepthNet": Case(lambda: dict(channels=2), lambda: _rand(2, 16, 16), axis=2, param="gray"),
}


def _nacl_encoder():
    from lab import nacl
    torch.manual_seed(0)
    return nacl.Encoder(16, 8, 4)


# ----------------------------------------------------------------------------- bad inputs
def _other_dtype(t: torch.Tensor) -> torch.Tensor:
    return t.to(torch.float32 if t.dtype == torch.float64 else torch.float64)


def _wider(t: torch.Tensor, axis: int) -> torch.Tensor:
    return torch.cat([t, t.narrow(axis, 0, 1)], dim=axis)


def _with_nan(t: torch.Tensor) -> torch.Tensor:
    t = t.clone()
    t.view(-1)[0] = float("nan")
    return t


BAD_KINDS: dict[str, Callable[[torch.Tensor, int], Any]] = {
    "other dtype": lambda t, axis: _other_dtype(t),
    "width + 1": lambda t, axis: _wider(t, axis),
    "extra leading axis": lambda t, axis: t[None],
    "missing axis": lambda t, axis: t[0],
    "empty batch": lambda t, axis: t[:0],
    "NaN entry": lambda t, axis: _with_nan(t),
    "numpy array": lambda t, axis: t.numpy(),
    "list": lambda t, axis: t.tolist(),
}


def _relu_by_hand(model, x):
    from lab import sparseconv as sc
    return sc.SparseTensor(_coords()[:x.shape[0]], torch.relu(x), check=False)


# (module, bad kind) -> (why it is accepted, expected output from (model, valid main tensor))
ACCEPTS: dict[tuple[str, str], tuple[str, Callable]] = {
    ("lab.core.nets.DynamicLinear", "extra leading axis"):
        ("like torch.nn.Linear, it maps the last axis and keeps any leading axes",
         lambda m, x: m(x)[None]),
    ("lab.core.nets.DynamicLinear", "missing axis"):
        ("like torch.nn.Linear, one vector (in,) is one input",
         lambda m, x: m(x)[0]),
    ("lab.netaug.train.TinyNet", "numpy array"):
        ("TinyNet converts numpy signals to float32 tensors (its documented convenience)",
         lambda m, x: m(x)),
    ("lab.netaug.train.TinyNet", "list"):
        ("TinyNet converts array-likes to float32 tensors (its documented convenience)",
         lambda m, x: m(x)),
    ("lab.sparseconv.modules.ReLU", "other dtype"):
        ("ReLU holds no weights: it runs in the dtype of its input",
         lambda m, x: _relu_by_hand(m, x.double())),
    ("lab.sparseconv.modules.ReLU", "width + 1"):
        ("ReLU holds no weights: it takes any number of feature channels",
         lambda m, x: _relu_by_hand(m, _wider(x, 1))),
}


def _tensors(out) -> list[torch.Tensor]:
    """The tensors of a forward's output: a tensor, a tuple of them, or a SparseTensor's features."""
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _tensors(o)]
    if hasattr(out, "feats") and isinstance(out.feats, torch.Tensor):
        return [out.feats]
    raise AssertionError(f"unexpected forward output {type(out).__name__}")


def _build(name: str):
    cls = exported_module_classes()[name]
    case = MODULES[name]
    torch.manual_seed(0)
    return cls(**case.kwargs()).eval(), case


def _names(msg: str, param: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(param)}\b", msg) is not None


# ----------------------------------------------------------------------------- module tests
def test_every_exported_module_has_an_entry():
    found = exported_module_classes()
    assert len(found) >= 15, f"the walk found too few modules: {sorted(found)}"
    missing = sorted(set(found) - set(MODULES))
    assert not missing, f"torch modules without an entry in MODULES (constructor kwargs, valid input): {missing}"
    stale = sorted(set(MODULES) - set(found))
    assert not stale, f"MODULES entries no public module exports: {stale}"
    for (name, kind), (why, _) in ACCEPTS.items():
        assert name in MODULES and kind in BAD_KINDS and len(why) > 20, (name, kind)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_valid_input_gives_finite_output(name):
    model, case = _build(name)
    with torch.no_grad():
        out = model(*case.args(case.x()))
    ts = _tensors(out)
    assert ts and all(t.numel() and bool(torch.isfinite(t).all()) for t in ts), f"{name}: output not finite"


@pytest.mark.parametrize("kind", sorted(BAD_KINDS))
@pytest.mark.parametrize("name", sorted(MODULES))
def test_bad_input_is_refused_naming_the_parameter(name, kind):
    model, case = _build(name)
    x = case.x()
    bad = BAD_KINDS[kind](x.clone(), case.axis)
    if (name, kind) in ACCEPTS:
        _, expect = ACCEPTS[(name, kind)]
        with torch.no_grad():
            got, want = _tensors(model(*case.args(bad))), _tensors(expect(model, x.clone()))
        assert len(got) == len(want) and all(g.shape == w.shape and g.dtype == w.dtype and torch.allclose(g, w)
                                             for g, w in zip(got, want)), f"{name}({kind}): not the hand-made output"
        return
    try:
        with torch.no_grad():
            model(*case.args(bad))
    except (ValueError, TypeError) as exc:
        assert _names(str(exc), case.param), (
            f"{name}({kind}): the refusal does not name {case.param!r}: {type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - any other exception is a crash deep inside torch
        pytest.fail(f"{name}({kind}): crashed with {type(exc).__name__}: {exc}")
    else:
        pytest.fail(f"{name}({kind}): accepted; refuse it naming {case.param!r} or list it in ACCEPTS")


# ----------------------------------------------------------------------------- inconsistent arguments
@lru_cache(maxsize=1)
def _probed():
    from lab import nacl
    torch.manual_seed(0)
    return nacl.Probed(nacl.Encoder(16, 8, 4), nn.Linear(8, 3)).eval()


def _images(n: int = 6) -> torch.Tensor:
    return _rand(n, 1, 8, 8)


def _labels(*ys) -> torch.Tensor:
    return torch.tensor(ys, dtype=torch.int64)


@lru_cache(maxsize=1)
def _milling():
    from lab import anomaly
    return anomaly.make_dataset(n_good=2, n_worn=1, n_coolant=1, seed=0)


@lru_cache(maxsize=1)
def _lqr():
    from lab import unstable_rl
    sys_ = unstable_rl.random_unstable(n=2, m=1, rho=1.2, seed=0)
    return sys_, unstable_rl.optimal(sys_)[0]


@lru_cache(maxsize=1)
def _volume():
    from lab import tomography
    x = tomography.circuit_faker(1, 0)[0]
    return x, tomography.measure(x, 2, 30.0, 0)


def _pair(topic: str, call: Callable[[], Any], names: tuple[str, str]) -> tuple:
    return topic, call, names


def _nacl():
    from lab import nacl
    return nacl


def _mod(name: str):
    return importlib.import_module(f"lab.{name}")


def _mm(n: int):
    return _mod("sparseloop").matmul(n, n, n)


def _fig1(n: int):
    return _mod("sparseloop").fig1_mapping(n, n, n)


def _densities():
    sl = _mod("sparseloop")
    return {"A": sl.Uniform(0.2), "B": sl.Uniform(0.2)}


# id -> (topic, call, (the two parameters that disagree)); the refusal must name one of them
INCONSISTENT: dict[str, tuple] = {
    "nacl.fgsm: label >= the model's classes": _pair(
        "nacl", lambda: _nacl().fgsm(_probed(), _images(), _labels(0, 1, 2, 0, 1, 3), eps=0.05), ("y", "model")),
    "nacl.pgd: label >= the model's classes": _pair(
        "nacl", lambda: _nacl().pgd(_probed(), _images(), _labels(0, 1, 2, 0, 1, 3), eps=0.05, steps=2),
        ("y", "model")),
    "nacl.accuracy: label >= the model's classes": _pair(
        "nacl", lambda: _nacl().accuracy(_probed(), _images(), _labels(0, 1, 2, 0, 1, 3)), ("y", "model")),
    "nacl.accuracy: fewer labels than images": _pair(
        "nacl", lambda: _nacl().accuracy(_probed(), _images(), _labels(0, 1, 2, 0, 1)), ("y", "x")),
    "netaug.accuracy: label >= the net's classes": _pair(
        "netaug", lambda: _mod("netaug").accuracy(_mod("netaug").TinyNet(0.25), _rand(4, 40), _labels(0, 1, 2, 10)),
        ("y", "net")),
    "netaug.accuracy: fewer labels than signals": _pair(
        "netaug", lambda: _mod("netaug").accuracy(_mod("netaug").TinyNet(0.25), _rand(4, 40), _labels(0, 1, 2)),
        ("y", "x")),
    "anomaly.Detector: mean's length is not the model's inputs": _pair(
        "anomaly", lambda: _mod("anomaly").Detector(_mod("anomaly").AutoEncoder(8), np.zeros(7), np.ones(7), 1.0),
        ("mean", "model")),
    "anomaly.Detector: std's length is not mean's": _pair(
        "anomaly", lambda: _mod("anomaly").Detector(_mod("anomaly").AutoEncoder(8), np.zeros(8), np.ones(7), 1.0),
        ("std", "mean")),
    "anomaly.spectrum_features: one rate for two signals": _pair(
        "anomaly", lambda: _mod("anomaly").spectrum_features([r.x for r in _milling().runs[:2]],
                                                             np.array([_milling().runs[0].fs]), M=8),
        ("rates", "signals")),
    "sparseloop.evaluate: a mapping of another workload's sizes": _pair(
        "sparseloop", lambda: _mod("sparseloop").evaluate(_mod("sparseloop").default_arch(), _mm(8), _fig1(4),
                                                          _mod("sparseloop").design("CP", "skipping"), _densities()),
        ("mapping", "workload")),
    "sparseloop.evaluate: a mapping of other storage levels": _pair(
        "sparseloop", lambda: _mod("sparseloop").evaluate(
            _mod("sparseloop").Arch(_mod("sparseloop").default_arch().levels[:2]), _mm(8), _fig1(8),
            _mod("sparseloop").design("CP", "skipping"), _densities()),
        ("mapping", "arch")),
    "sparseloop.tile_shape: a mapping of another workload's sizes": _pair(
        "sparseloop", lambda: _mod("sparseloop").tile_shape(_mm(8), _fig1(4), 2, "A"), ("mapping", "workload")),
    "sparseloop.simulate: an operand of another shape than the workload's": _pair(
        "sparseloop", lambda: _mod("sparseloop").simulate(
            _mod("sparseloop").default_arch(), _mm(8), _fig1(8), _mod("sparseloop").design("RLE", "skipping"),
            np.ones((4, 8)), np.ones((8, 8))),
        ("A", "workload")),
    "quantumnas.accuracy: label >= the scores' classes": _pair(
        "quantumnas", lambda: _mod("quantumnas").accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 2])),
        ("y", "scores")),
    "quantumnas.accuracy: more labels than scores": _pair(
        "quantumnas", lambda: _mod("quantumnas").accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1, 0])),
        ("y", "scores")),
    "quantumnas.readout: more classes than qubits": _pair(
        "quantumnas", lambda: _mod("quantumnas").readout(torch.tensor([[1.0, 0.5, -1.0, 0.0]]), 5),
        ("n_classes", "expz")),
    "calo.Batch: event index >= n_events": _pair(
        "calo", lambda: _mod("calo").Batch(_calo_batch().feats, _calo_batch().xyz, _calo_batch().event + 1,
                                           _calo_batch().cluster, _calo_batch().noise, 1),
        ("event", "n_events")),
    "calo.EdgeConv: a neighbour index beyond x's rows": _pair(
        "calo", lambda: _mod("calo").EdgeConv(3, 5)(_rand(6, 3), torch.full((6, 2), 6)), ("nbr", "x")),
    "calo.cluster_embeddings: noise_prob of another length than emb": _pair(
        "calo", lambda: _mod("calo").cluster_embeddings(np.random.default_rng(0).random((20, 3)), np.full(19, 0.1)),
        ("noise_prob", "emb")),
    "sparseconv.sparse_conv3d: weight's C_in is not x's channels": _pair(
        "sparseconv", lambda: _mod("sparseconv").sparse_conv3d(_sparse(_rand(len(_coords()), 3)), _rand(27, 4, 5)),
        ("weight", "x")),
    "sparseconv.sparse_conv3d (1x1x1): weight's C_in is not x's channels": _pair(
        "sparseconv", lambda: _mod("sparseconv").sparse_conv3d(_sparse(_rand(len(_coords()), 3)), _rand(1, 4, 5),
                                                               kernel_size=1),
        ("weight", "x")),
    "sparseconv.SparseTensor: feats rows are not coords rows": _pair(
        "sparseconv", lambda: _mod("sparseconv").SparseTensor(_coords(), _rand(len(_coords()) - 1, 3)),
        ("feats", "coords")),
    "unstable_rl.evaluate: K of another shape than the system's (m, n)": _pair(
        "unstable_rl", lambda: _mod("unstable_rl").evaluate(_lqr()[0], np.zeros((1, 3))), ("K", "sys")),
    "unstable_rl.trajectory: x0 of another length than the state": _pair(
        "unstable_rl", lambda: _mod("unstable_rl").trajectory(_lqr()[0], _lqr()[1], np.ones(3)), ("x0", "sys")),
    "tomography.nll: a sinogram of another angle count": _pair(
        "tomography", lambda: _mod("tomography").nll(_volume()[0], _volume()[1], 4, 30.0), ("y", "n_angles")),
    "tomography.ber: x of another shape than truth": _pair(
        "tomography", lambda: _mod("tomography").ber(_volume()[0][:4], _volume()[0]), ("x", "truth")),
    "sparsebfa.flip: a position beyond the bits": _pair(
        "sparsebfa", lambda: _mod("sparsebfa").flip(np.zeros(8, dtype=np.uint8), [1, 9]), ("positions", "bits")),
    "sparsebfa.logits: x narrower than the first layer": _pair(
        "sparsebfa", lambda: _mod("sparsebfa").logits([torch.randn(4, 64), torch.randn(10, 4)],
                                                      [torch.zeros(4), torch.zeros(10)], _rand(3, 63)),
        ("x", "weights")),
    "ufm.gaussian_nll: var of another shape than pred": _pair(
        "ufm", lambda: _mod("ufm").gaussian_nll(np.full((8, 8), 2.0), np.full((4, 8), 0.01), np.full((8, 8), 2.0)),
        ("var", "pred")),
    "spgf.GMM: weights of another length than means": _pair(
        "spgf", lambda: _mod("spgf").GMM(np.array([[0.0, 0.0, 2.0]]), np.eye(3)[None] * 0.01, np.ones(2),
                                         np.ones(1, int)),
        ("weights", "means")),
    "pointacc.knn_ranking: queries of another dimension than points": _pair(
        "pointacc", lambda: _mod("pointacc").knn_ranking(_rand(10, 3), _rand(2, 2), 3), ("queries", "points")),
    "mcunet.patch_forward: x of another channel count than the net's": _pair(
        "mcunet", lambda: _mod("mcunet").patch_forward(_nets().SpecNet(_tiny_blocks(), 10).eval(),
                                                       _rand(1, 4, 32, 32), 2, 2),
        ("x", "net")),
    # second pass: the topics the first did not reach, and more pairs in the others
    "data.Digits: a label beyond the classes": _pair(
        "data", lambda: _digits(y_train=_digits_split().y_train.copy().clip(0, 2) + 1), ("y_train", "classes")),
    "data.Digits: x_test of another per-image shape than x_train": _pair(
        "data", lambda: _digits(x_test=_digits_split().x_test.reshape(-1, 64)), ("x_test", "x_train")),
    "anomaly.Dataset: kinds of another length than runs": _pair(
        "anomaly", lambda: _mod("anomaly").Dataset(_milling().runs[:3], np.array(["good"] * 2)), ("kinds", "runs")),
    "anomaly.Detector.predict: X of another width than the model's M": _pair(
        "anomaly", lambda: _detector().predict(np.zeros((3, 7))), ("X", "model")),
    "nacl.fit_probe: fewer labels than images": _pair(
        "nacl", lambda: _nacl().fit_probe(_nacl().Encoder(16, 8, 4), _images(6), _labels(0, 1, 2, 0, 1)), ("y", "x")),
    "nacl.train_supervised: fewer labels than images": _pair(
        "nacl", lambda: _nacl().train_supervised(_images(6), _labels(0, 1, 2, 0, 1), cfg=_nacl_cfg()), ("y", "x")),
    "unstable_rl.rollout_cost: x0s of another width than the state": _pair(
        "unstable_rl", lambda: _mod("unstable_rl").rollout_cost(_lqr()[0], _lqr()[1], np.ones((2, 3)), 5),
        ("x0s", "sys")),
    "unstable_rl.LQR: Q of another size than A": _pair(
        "unstable_rl", lambda: _mod("unstable_rl").LQR(np.eye(2), np.ones((2, 1)), np.eye(3), np.eye(1), np.eye(2)),
        ("Q", "A")),
    "sparsebfa.decode: bits of another store's length": _pair(
        "sparsebfa", lambda: _mod("sparsebfa").decode(_bfa_store(), np.zeros(len(_bfa_store().bits) - 1, np.uint8)),
        ("bits", "store")),
    "dga.gradients: labels of another shape than the batch": _pair(
        "dga", lambda: _mod("dga").gradients(_dga_W(), _rand(2, 3, 64).double(), torch.zeros(2, 2, dtype=torch.int64),
                                             8),
        ("y", "x")),
    "dga.forward: W of another hidden size than hidden": _pair(
        "dga", lambda: _mod("dga").forward(_dga_W(), _rand(2, 3, 64).double(), 9), ("W", "hidden")),
    "dga.accuracy: fewer labels than rows": _pair(
        "dga", lambda: _mod("dga").accuracy(_mod("dga").init_params(8, 0), np.zeros((4, 64)), np.zeros(3, int), 8),
        ("y", "x")),
    "quantumnas.noisy_expvals: x narrower than the circuit's inputs": _pair(
        "quantumnas", lambda: _mod("quantumnas").noisy_expvals(*_qn_call(width=15, many=False)), ("x", "circuit")),
    "quantumnas.noisy_expvals_many: x narrower than the circuits' inputs": _pair(
        "quantumnas", lambda: _mod("quantumnas").noisy_expvals_many(*_qn_call(width=15, many=True)), ("x", "circuits")),
    "quantumnas.sampler_expvals: x narrower than the circuits' inputs": _pair(
        "quantumnas", lambda: _mod("quantumnas").sampler_expvals(*_qn_call(width=15, many=True)), ("x", "circuits")),
}


@lru_cache(maxsize=1)
def _digits_split():
    from lab.data import load_digits
    return load_digits(n_train=30, n_test=30, classes=[0, 1, 2], seed=0)


def _digits(**change):
    from lab.data import Digits
    d = _digits_split()
    kw = dict(x_train=d.x_train, y_train=d.y_train, x_test=d.x_test, y_test=d.y_test, classes=d.classes)
    kw.update(change)
    return Digits(**kw)


@lru_cache(maxsize=1)
def _detector():
    from lab import anomaly
    torch.manual_seed(0)
    return anomaly.Detector(anomaly.AutoEncoder(8), np.zeros(8), np.ones(8), 1.0)


def _nacl_cfg():
    return _nacl().TrainConfig(epochs=1, batch=32, positives=2, hidden=8, feat_dim=4, proj_dim=4)


@lru_cache(maxsize=1)
def _bfa_store():
    w = np.zeros((4, 6), dtype=np.float32)
    w[0, 1], w[2, 5], w[3, 0] = 0.5, -1.0, 0.25
    return _mod("sparsebfa").encode([w], "coo")


def _dga_W():
    return _mod("dga").init_params(8, 0).expand(2, -1).clone()


@lru_cache(maxsize=1)
def _qn_parts():
    qn = _mod("quantumnas")
    sc = qn.SuperCircuit("u3cu3", 4, 1)
    arch = sc.full_arch()
    circuit = qn.encoder_4x4_ryzxy() + sc.circuit(arch)
    weights = sc.init_weights(0).numpy()
    x = torch.rand(3, 16, generator=_gen(0)).numpy() * np.pi
    return circuit, weights, x, qn.get_device("FakeQuitoV2", 1.0)


def _qn_call(width: int, many: bool) -> tuple:
    """The arguments of noisy_expvals (many=False) or of its siblings, with x cut or widened to `width` columns."""
    circuit, weights, x, device = _qn_parts()
    x = x[:, :width] if width <= x.shape[1] else np.hstack([x, np.zeros((len(x), width - x.shape[1]))])
    if many:
        return [circuit], [weights], x, device, [(0, 1, 3, 4)], 32, 0
    return circuit, weights, x, device, (0, 1, 3, 4), 32, 0


def test_noisy_expval_siblings_agree_on_wide_inputs():
    """noisy_expvals, noisy_expvals_many and sampler_expvals take the same x: columns beyond the circuits' inputs
    are not read (as in qsim.expvals), so a wider x gives the answer of the exact one, in each of the three."""
    qn = _mod("quantumnas")
    exact, _ = qn.noisy_expvals(*_qn_call(16, many=False))
    wide, _ = qn.noisy_expvals(*_qn_call(18, many=False))
    many_wide, _ = qn.noisy_expvals_many(*_qn_call(18, many=True))
    np.testing.assert_array_equal(wide, exact)
    np.testing.assert_array_equal(many_wide[0], exact)   # one job or another, the same seed gives the same counts


def test_inconsistent_pairs_cover_enough_topics():
    topics = {topic for topic, _, _ in INCONSISTENT.values()}
    assert len(INCONSISTENT) >= 8 and len(topics) >= 5, (len(INCONSISTENT), sorted(topics))


@pytest.mark.parametrize("case", sorted(INCONSISTENT))
def test_inconsistent_arguments_are_refused(case):
    _, call, names = INCONSISTENT[case]
    try:
        out = call()
    except (ValueError, TypeError) as exc:
        assert any(_names(str(exc), n) for n in names), (
            f"{case}: the refusal names neither {names[0]!r} nor {names[1]!r}: {type(exc).__name__}: {exc}")
    except Exception as exc:  # noqa: BLE001 - a crash deep inside numpy or torch
        pytest.fail(f"{case}: crashed with {type(exc).__name__}: {exc}")
    else:
        pytest.fail(f"{case}: accepted ({type(out).__name__}); refuse it naming {names[0]!r} or {names[1]!r}")
