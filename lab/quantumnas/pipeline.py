"""The QuantumNAS classification pipeline of notebooks/14_quantumnas.ipynb (Wang et al., HPCA 2022). The pieces,
in the paper's order: data and encoder (data.py); design spaces and the SuperCircuit (supercircuit.py), trained by
training.py; `evolve`, the co-search of SubCircuit and layout (search.py); gradual pruning (pruning.py); and here
`run_pipeline`, the four contenders (human baseline, random, searched, searched+pruned), their evaluation on the
noisy device (device.py) and the parameter sweep. Tables and claim helpers live in claims.py, the H2 VQE in
vqe.py, figures and the explorer in views.py.
"""
from __future__ import annotations

import math

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np
import torch

from . import qsim
from lab.core.checks import check_array, check_choice, check_int, check_number, check_type
from .device import BACKENDS, Device, get_device, noisy_expvals, noisy_expvals_many, sampler_expvals
from .supercircuit import (MAX_BLOCKS, MAX_PHYSICAL, MAX_SHOTS, MAX_STEPS, N_QUBITS, SPACES, SuperCircuit, check_cfg,
                           check_labels, check_states, check_weights, n_params)
from .data import encode, encoder_4x4_ryzxy, load_digits_4x4, validation_split
from .training import accuracy, clean_scores, nll, readout, train
from .pruning import prune, select_pruned
from .search import Gene, SearchResult, evolve, random_layout


# ----------------------------------------------------------------------------- the classification pipeline
TASKS = {"2-class": (3, 6), "4-class": (0, 1, 2, 3)}


@dataclass
class Contender:
    """One circuit on the device: its gates, layout, weights and measured accuracies (fractions)."""
    name: str
    circuit: qsim.Circuit
    layout: tuple[int, ...]
    weights: torch.Tensor
    acc_clean: float = float("nan")
    acc_noisy: float = float("nan")
    n_params: int = 0
    n_native: int = 0  # native gates after transpiling to the backend

    def __post_init__(self):
        """What `evaluate` will run: a circuit, distinct physical qubits for its wires, finite weights for
        its angles; the accuracies NaN until measured (then fractions in [0, 1])."""
        check_type("name", self.name, str)
        check_type("circuit", self.circuit, qsim.Circuit)
        if isinstance(self.layout, (str, bytes)) or not isinstance(self.layout, (tuple, list)):
            raise TypeError(f"layout must be a tuple of physical qubits; got {type(self.layout).__name__}")
        self.layout = tuple(check_int("layout", q, lo=0, hi=MAX_PHYSICAL - 1) for q in self.layout)
        if len(set(self.layout)) != len(self.layout) or len(self.layout) < self.circuit.n_qubits:
            raise ValueError(f"layout must hold at least {self.circuit.n_qubits} distinct physical qubits (one per "
                             f"wire of circuit); got {self.layout}")
        check_weights("weights", self.weights, self.circuit.n_weights())
        for name in ("acc_clean", "acc_noisy"):
            v = getattr(self, name)
            if not (isinstance(v, float) and math.isnan(v)):
                check_number(name, v, lo=0.0, hi=1.0)
        check_int("n_params", self.n_params, lo=0)
        check_int("n_native", self.n_native, lo=0)


@dataclass
class PipelineResult:
    task: str
    space: str
    backend: str
    seed: int
    contenders: dict
    search: SearchResult
    super_losses: list
    sc: SuperCircuit
    noise_factor: float = 1.0
    x_test: np.ndarray | None = None   # the test split's inputs (N, 16) [rad] and labels (N,)
    y_test: np.ndarray | None = None
    #: the pruning ratios tried (0: the unpruned circuit, then one per epoch), their noisy validation
    #: accuracies (fractions) and the ratio chosen
    pruning: dict = field(default_factory=dict)

    def table(self) -> list[dict]:
        return [dict(contender=c.name, params=c.n_params, native_gates=c.n_native,
                     acc_noise_free=round(c.acc_clean, 3), acc_noisy=round(c.acc_noisy, 3))
                for c in self.contenders.values()]


def _test_split(device, x_test, y_test, states_test, n_classes, shots):
    """The checked arguments of `evaluate` and `evaluate_all`: (x_test, y_test, states_test, n_classes, shots)."""
    check_type("device", device, Device)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=N_QUBITS)
    states_test = check_states("states_test", states_test)
    x_test = check_array("x_test", x_test, ndim=2, shape=(states_test.shape[0], 16))
    y_test = check_labels("y_test", y_test, len(x_test), n_classes)
    shots = check_int("shots", shots, lo=1, hi=MAX_SHOTS)
    return x_test, y_test, states_test, n_classes, shots


def evaluate(c: Contender, device: Device, x_test, y_test, states_test, n_classes: int, shots: int,
             seed: int) -> Contender:
    """Fill in the contender's noise-free and noisy test accuracy, parameter and native-gate counts."""
    check_type("c", c, Contender)
    x_test, y_test, states_test, n_classes, shots = _test_split(device, x_test, y_test, states_test, n_classes, shots)
    c.acc_clean = accuracy(clean_scores(c.circuit, c.weights, states_test, n_classes).detach().numpy(), y_test)
    full = encoder_4x4_ryzxy() + c.circuit
    ez, n_native = noisy_expvals(full, c.weights.numpy(), x_test, device, c.layout, shots, seed)
    c.acc_noisy = accuracy(readout(torch.as_tensor(ez), n_classes).numpy(), y_test)
    c.n_params = n_params(c.circuit)
    c.n_native = n_native
    return c


def evaluate_all(contenders: Sequence[Contender], device: Device, x_test, y_test, states_test, n_classes: int,
                 shots: int, seed: int) -> list[Contender]:
    """`evaluate` for several contenders, their noisy runs in ONE Aer job (`noisy_expvals_many`: one noise-model
    setup for all, as the search scores its candidates). Each contender's shots are drawn from its own seed
    within the job, so a contender's noisy accuracy may differ from a lone `evaluate` by shot noise.
    Contenders with the same circuit, layout and weights (a pruned contender that kept the unpruned
    circuit) share one run and so get the same numbers."""
    if isinstance(contenders, (str, bytes)) or not isinstance(contenders, Sequence) or not contenders:
        raise TypeError("contenders must be a non-empty list of Contender")
    for c in contenders:
        check_type("contenders", c, Contender)
    x_test, y_test, states_test, n_classes, shots = _test_split(device, x_test, y_test, states_test, n_classes, shots)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    keys = [(c.circuit, tuple(c.layout), c.weights.detach().numpy().tobytes()) for c in contenders]
    first = {}
    for i, k in enumerate(keys):
        first.setdefault(k, i)
    runs = sorted(set(first.values()))
    ezs, natives = noisy_expvals_many([encoder_4x4_ryzxy() + contenders[i].circuit for i in runs],
                                      [contenders[i].weights.numpy() for i in runs], x_test, device,
                                      [contenders[i].layout for i in runs], shots, seed)
    measured = dict(zip(runs, zip(ezs, natives)))
    for c, k in zip(contenders, keys):
        ez, n_native = measured[first[k]]
        c.acc_clean = accuracy(clean_scores(c.circuit, c.weights, states_test, n_classes).detach().numpy(), y_test)
        c.acc_noisy = accuracy(readout(torch.as_tensor(ez), n_classes).numpy(), y_test)
        c.n_params = n_params(c.circuit)
        c.n_native = n_native
    return list(contenders)


def evaluate_sampler(contenders: Sequence[Contender], backend, x_test, y_test, n_classes: int, shots: int,
                     seed: int = 0) -> list[float]:
    """The final noisy evaluation through Qiskit Runtime's Sampler primitive (`sampler_expvals`): each
    contender's noisy test accuracy (fraction), in order, measured in one job on `backend`: a `Device`
    or a fake backend (local testing mode), or a real IBM device of the user's account
    (`QiskitRuntimeService().backend(name)`: each contender's layout then names that device's physical
    qubits). The contenders are left as they are (their `acc_noisy` stays the Aer path's)."""
    if isinstance(contenders, (str, bytes)) or not isinstance(contenders, Sequence) or not contenders:
        raise TypeError("contenders must be a non-empty list of Contender")
    for c in contenders:
        check_type("contenders", c, Contender)
    n_classes = check_int("n_classes", n_classes, lo=2, hi=N_QUBITS)
    x_test = check_array("x_test", x_test, ndim=2, shape=(None, 16), min_size=1)
    y_test = check_labels("y_test", y_test, len(x_test), n_classes)
    ezs, _ = sampler_expvals([encoder_4x4_ryzxy() + c.circuit for c in contenders],
                             [c.weights.numpy() for c in contenders], x_test, backend,
                             [tuple(c.layout) for c in contenders], shots, seed)
    return [accuracy(readout(torch.as_tensor(ez), n_classes).numpy(), y_test) for ez in ezs]


def human_baseline(sc: SuperCircuit, device: Device, states: torch.Tensor, y, n_classes: int, steps: int,
                   batch: int, lr: float, seed: int, n_blocks: int | None = None) -> Contender:
    """The human design, given a fair start: every op of the SuperCircuit's first `n_blocks`
    blocks (default all), trained from scratch for `steps` (the searched circuit's whole budget:
    SuperCircuit training plus fine-tuning), on the layout Qiskit's transpiler chooses for it on
    the noisy backend (optimization_level=3, noise-aware). Not yet evaluated."""
    check_type("sc", sc, SuperCircuit)
    check_type("device", device, Device)
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    states = check_states("states", states, sc.n_qubits)
    steps = check_int("steps", steps, lo=0, hi=MAX_STEPS)
    circ = sc.circuit(sc.full_arch(n_blocks))
    w, _ = train(lambda _r: circ, sc.init_weights(seed + 1), states, y, n_classes, steps, batch, lr, seed)
    return Contender("human baseline", circ, device.transpiler_layout(circ, seed, w.numpy()), w)


def run_pipeline(task: str, space: str, backend: str, cfg, seed: int = 0, noise_factor: float = 1.0,
                 progress: Callable | None = None) -> PipelineResult:
    """The whole method on one task, design space and fake backend: SuperCircuit training, the
    noise-adaptive co-search, training of the chosen SubCircuit, pruning, and the contenders
    (human baseline, random, searched, searched+pruned) evaluated noise-free and noisy. Pruning follows
    the authors' gradual schedule (`prune`) and keeps the ratio of best noisy validation accuracy, or the
    unpruned circuit when no ratio is better (`select_pruned`). cfg: a resolved `SCALES` preset.
    `progress(stage_text)` is called between stages."""
    check_choice("task", task, TASKS)
    check_choice("space", space, SPACES)
    check_choice("backend", backend, BACKENDS)
    check_cfg(cfg, ("n_train", "n_val", "n_test", "max_blocks", "super_steps", "train_steps", "finetune_steps",
                     "batch", "lr", "population", "parents", "mutations", "crossovers", "iterations", "mutation_p",
                     "shots", "prune_ratio", "prune_epochs"))
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    noise_factor = check_number("noise_factor", noise_factor, lo=0.0, hi=5.0)
    if progress is not None and not callable(progress):
        raise TypeError("progress must be callable (stage text) or None")
    say = progress or (lambda _t: None)
    classes = TASKS[task]
    nc = len(classes)
    xall, yall, xte, yte = load_digits_4x4(classes, cfg.n_train + cfg.n_val, cfg.n_test, seed=seed)
    # the search scores candidates on a validation split held out of training (as the authors' scripts do)
    xtr, ytr, xv, yv = validation_split(xall, yall, cfg.n_val, seed)
    str_, ste = encode(xtr), encode(xte)
    device = get_device(backend, noise_factor)
    sc = SuperCircuit(space, N_QUBITS, cfg.max_blocks)
    tr = dict(batch=cfg.batch, lr=cfg.lr)
    say("SuperCircuit training")
    w_super, losses = train(lambda r: sc.circuit(sc.sample_arch(r)), sc.init_weights(seed), str_, ytr, nc,
                            cfg.super_steps, seed=seed, **tr)

    def score(genes: list[Gene]) -> list[float]:
        circs = [encoder_4x4_ryzxy() + sc.circuit(g.arch) for g in genes]
        ezs, _ = noisy_expvals_many(circs, [w_super.numpy()] * len(genes), xv, device,
                                    [g.layout for g in genes], cfg.shots, seed)
        return [float(nll(readout(torch.as_tensor(ez), nc), yv)) for ez in ezs]

    say("evolutionary co-search")
    res = evolve(sc, device.n_qubits, score, cfg.population, cfg.parents, cfg.mutations, cfg.crossovers,
                 cfg.iterations, cfg.mutation_p, seed)
    rng = np.random.default_rng(seed + 1000)
    say("training the contenders")
    cont = {"human baseline": human_baseline(sc, device, str_, ytr, nc, cfg.super_steps + cfg.train_steps,
                                             cfg.batch, cfg.lr, seed)}
    rgene = Gene(random_layout(device.n_qubits, N_QUBITS, rng), sc.sample_arch(rng))
    rc = sc.circuit(rgene.arch)
    wr, _ = train(lambda _r: rc, w_super, str_, ytr, nc, cfg.train_steps, seed=seed, **tr)
    cont["random"] = Contender("random", rc, rgene.layout, wr)
    qc = sc.circuit(res.best.arch)
    wq, _ = train(lambda _r: qc, w_super, str_, ytr, nc, cfg.train_steps, seed=seed, **tr)
    cont["QuantumNAS"] = Contender("QuantumNAS", qc, res.best.layout, wq)
    say("pruning")
    steps = prune(qc, wq, str_, ytr, nc, cfg.prune_ratio, cfg.prune_epochs, cfg.finetune_steps, seed=seed, **tr)
    pick, val_acc = select_pruned(qc, wq, steps, device, xv, yv, nc, res.best.layout, cfg.shots, seed)
    pc, wp = (qc, wq) if pick is None else (steps[pick].circuit, steps[pick].weights)
    cont["QuantumNAS + pruning"] = Contender("QuantumNAS + pruning", pc, res.best.layout, wp)
    pruning = dict(ratios=[0.0] + [s.ratio for s in steps], val_acc=val_acc,
                   chosen=0.0 if pick is None else steps[pick].ratio)
    say("evaluating on the noisy device")
    evaluate_all(list(cont.values()), device, xte, yte, ste, nc, cfg.shots, seed)
    return PipelineResult(task, space, backend, seed, cont, res, losses, sc, noise_factor, xte, yte, pruning)


def param_sweep(task: str, space: str, backend: str, cfg, blocks: Sequence[int], seed: int = 0,
                reuse: Contender | None = None) -> list[dict]:
    """Figure 1: full circuits of 1..B blocks, each trained from scratch as the human baseline is
    (`human_baseline`: the same budget and a transpiler-chosen layout); per block count the
    parameter count and the noise-free and noisy test accuracy (fractions). `reuse`: an already
    evaluated full circuit (the human baseline of `run_pipeline` with the same seed), taken as
    the row of its block count instead of training it again."""
    check_choice("task", task, TASKS)
    check_choice("space", space, SPACES)
    check_choice("backend", backend, BACKENDS)
    check_cfg(cfg, ("n_train", "n_val", "n_test", "super_steps", "train_steps", "batch", "lr", "shots"))
    seed = check_int("seed", seed, lo=0, hi=2**31 - 1)
    if isinstance(blocks, (str, bytes)) or not hasattr(blocks, "__iter__"):
        raise TypeError(f"blocks must be a sequence of block counts; got {type(blocks).__name__}")
    blocks = [check_int("blocks", b, lo=1, hi=MAX_BLOCKS) for b in blocks]
    if not blocks or len(blocks) > MAX_BLOCKS:
        raise ValueError(f"blocks must list 1..{MAX_BLOCKS} block counts; got {blocks}")
    if reuse is not None:
        check_type("reuse", reuse, Contender)
    classes = TASKS[task]
    xall, yall, xte, yte = load_digits_4x4(classes, cfg.n_train + cfg.n_val, cfg.n_test, seed=seed)
    xtr, ytr, _, _ = validation_split(xall, yall, cfg.n_val, seed)
    str_, ste = encode(xtr), encode(xte)
    device = get_device(backend, 1.0)
    sc = SuperCircuit(space, N_QUBITS, max(blocks))
    rows = []
    for b in blocks:
        if reuse is not None and len(reuse.circuit.ops) == len(sc.circuit(sc.full_arch(b)).ops):
            rows.append(dict(blocks=b, params=reuse.n_params, acc_noise_free=reuse.acc_clean,
                             acc_noisy=reuse.acc_noisy))
            continue
        c = human_baseline(sc, device, str_, ytr, len(classes), cfg.super_steps + cfg.train_steps, cfg.batch,
                           cfg.lr, seed, n_blocks=b)
        c = evaluate(c, device, xte, yte, ste, len(classes), cfg.shots, seed)
        rows.append(dict(blocks=b, params=c.n_params, acc_noise_free=c.acc_clean, acc_noisy=c.acc_noisy))
    return rows


def summarize_seeds(results: Sequence[PipelineResult]) -> dict:
    """Mean and std over seeds of each contender's accuracies: {name: {metric: (mean, std)}}."""
    results = check_results(results)
    out = {}
    for name in results[0].contenders:
        out[name] = {}
        for m in ("acc_clean", "acc_noisy", "n_native", "n_params"):
            v = np.array([getattr(r.contenders[name], m) for r in results], dtype=float)
            out[name][m] = (float(v.mean()), float(v.std()))
    return out


def check_results(results) -> list:
    results = list(results) if isinstance(results, (list, tuple)) else results
    if not isinstance(results, list) or not results or not all(isinstance(r, PipelineResult) for r in results):
        raise TypeError("results must be a non-empty list of PipelineResult")
    return results
