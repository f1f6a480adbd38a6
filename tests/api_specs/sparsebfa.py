"""Valid, fast calls of lab.sparsebfa's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import numpy as np
import torch

from lab import sparsebfa as T


@lru_cache(maxsize=1)
def _net():
    return T.train_pruned(sparsity=0.9, seed=0, hidden=4, epochs=5, prune_steps=1, finetune_epochs=2)


@lru_cache(maxsize=1)
def _store():
    return T.encode(list(_net().weights), "coo")


@lru_cache(maxsize=1)
def _victim():
    return T.victim(_net(), "rel", batch=16, seed=0)


@lru_cache(maxsize=1)
def _net1():
    return T.train_pruned(sparsity=0.9, seed=1, hidden=4, epochs=5, prune_steps=1, finetune_epochs=2)


@lru_cache(maxsize=1)
def _study():
    return T.run_study(nets=(_net(), _net1()), seeds=(0, 1), formats=("rel",), flip_seeds=(0,), n_flips=2, top_k=2,
                       random_points=3)


@lru_cache(maxsize=1)
def _table():
    return T.run_table(_study())


def _trace():
    return _study().select("sparsebfa", "rel")[0]


def _w():
    w = np.zeros((4, 6), dtype=np.float32)
    w[0, 1], w[2, 5], w[3, 0] = 0.5, -1.0, 0.25
    return w


SPECS = {
    "PrunedNet": lambda: dict(weights=_net().weights, biases=_net().biases, sparsity=0.9, seed=0, data=_net().data,
                              dense_acc=0.9, pruned_acc=0.8),
    "train_pruned": lambda: dict(sparsity=0.9, seed=0, hidden=4, epochs=3, prune_steps=1, finetune_epochs=1,
                                 lr=0.01, data=_net().data),
    "magnitude_mask": lambda: dict(w=_w(), sparsity=0.5),
    "logits": lambda: dict(weights=[torch.from_numpy(w) for w in _net().weights],
                           biases=[torch.from_numpy(b) for b in _net().biases], x=torch.rand(3, 64)),
    "Field": lambda: dict(layer=0, name="col", kind="index", offset=0, width=3, count=4),
    "Store": lambda: dict(fmt=_store().fmt, shapes=_store().shapes, scales=_store().scales, fields=_store().fields,
                          bits=_store().bits.copy(), value_bits=8, delta_bits=4),
    "Store.field": lambda: dict(self=_store(), layer=0, name="row"),
    "Store.positions": lambda: dict(self=_store(), kind="index"),
    "Store.n_kind": lambda: dict(self=_store(), kind="value"),
    "Store.locate": lambda: dict(self=_store(), bit=3),
    "Entries": lambda: dict(entry=np.arange(2), row=np.array([0, 1]), col=np.array([2, 3]), value=np.array([0.5, 1.0]),
                            valid=np.array([True, False]), pos=np.array([2, 9])),
    "encode": lambda: dict(weights=[_w()], fmt="rel", value_bits=8, delta_bits=3),
    "decode": lambda: dict(store=_store(), bits=_store().bits.copy()),
    "entries": lambda: dict(store=_store(), bits=_store().bits.copy()),
    "flip": lambda: dict(bits=np.zeros(8, dtype=np.uint8), positions=[1, 5]),
    "quantize": lambda: dict(w=_w(), value_bits=8),
    "index_width": lambda: dict(n=100),
    "pack": lambda: dict(values=np.array([1, 2, 3]), width=4),
    "unpack": lambda: dict(bits=np.array([0, 1, 1, 0, 1, 0], dtype=np.uint8), width=3),
    "Trace": lambda: dict(method="random", fmt="coo", seed=0, counts=np.array([0, 1, 2]), acc=np.array([0.9, 0.5, 0.1]),
                          loss=np.array([0.1, 1.0, 3.0]), flipped=np.array([4, 7]), n_bits=100, sparsity=0.9,
                          flip_seed=0),
    "Trace.flips_to": lambda: dict(self=_trace(), threshold=0.11),
    "Victim": lambda: dict(store=_victim().store, biases=_victim().biases, x_attack=_victim().x_attack,
                           y_attack=_victim().y_attack, x_test=_victim().x_test, y_test=_victim().y_test),
    "Victim.loss": lambda: dict(self=_victim(), bits=_victim().store.bits.copy()),
    "Victim.accuracy": lambda: dict(self=_victim(), bits=_victim().store.bits.copy()),
    "Victim.gradients": lambda: dict(self=_victim(), bits=_victim().store.bits.copy()),
    "victim": lambda: dict(net=_net(), fmt="csr", batch=8, seed=0, value_bits=8, delta_bits=4),
    "first_order": lambda: dict(store=_victim().store, bits=_victim().store.bits.copy(),
                                grads=_victim().gradients(_victim().store.bits), target="index"),
    "attack": lambda: dict(v=_victim(), target="index", n_flips=1, top_k=2, stop_acc=0.11),
    "random_flips": lambda: dict(v=_victim(), n_max=20, n_points=3, seed=0, target="index", stop_acc=0.5),
    "run_attack": lambda: dict(net=_net(), fmt="coo", method="valuebfa", n_flips=1, top_k=2, stop_acc=0.11, batch=16,
                               random_max=10, random_points=3, flip_seed=0, value_bits=8, delta_bits=4),
    "crc8": lambda: dict(bits=np.array([1, 0, 1, 1, 0, 0, 1, 0, 1], dtype=np.uint8)),
    "check_words": lambda: dict(store=_store(), bits=_store().bits.copy(), block=4, code="crc8"),
    "overhead": lambda: dict(store=_store(), block=4, code="parity"),
    "detects": lambda: dict(store=_store(), flipped=_store().positions("index")[:2], block=4, code="parity"),
    "Study": lambda: dict(nets=_study().nets, traces=_study().traces, threshold=0.11, n_flips=2),
    "Study.select": lambda: dict(self=_study(), method="random", fmt="rel", seed=0),
    "Study.net": lambda: dict(self=_study(), seed=0),
    "run_study": lambda: dict(nets=(_net(),), seeds=(0,), sparsity=0.9, formats=("coo",), flip_seeds=(0,), n_flips=1,
                              top_k=1, batch=16, random_points=2, hidden=4, epochs=2, prune_steps=1,
                              finetune_epochs=1, margin=0.01),
    "summary": lambda: dict(study=_study()),
    "storage_table": lambda: dict(net=_net(), delta_bits=4),
    "random_guess_threshold": lambda: dict(n_classes=10, margin=0.01),
    "random_guess_claim": lambda: dict(table=_table(), fmt="rel"),
    "run_table": lambda: dict(study=_study()),
    "scales_markdown": lambda: dict(scales=dict(T.SCALES)),
    "flips_per_block": lambda: dict(store=_store(), flipped=_store().positions("index")[:3], block=4),
    "vs_random_claim": lambda: dict(table=_table(), fmt="rel"),
    "index_vs_value_claim": lambda: dict(table=_table(), fmt="rel"),
    "defence_table": lambda: dict(study=_study(), block=8),
    "defence_claim": lambda: dict(table=T.defence_table(_study(), block=8), code="crc8"),
    "explorer_traces": lambda: dict(sparsities=(0.9,), formats=("rel",), seed=0, study=_study(), n_flips=1, top_k=1,
                                    batch=16, random_points=2, margin=0.01,
                                    hidden=4, epochs=5, prune_steps=1, finetune_epochs=2),
    "curves_figure": lambda: dict(study=_study(), height=300),
    "rewired": lambda: dict(net=_net(), fmt="rel", flipped=_trace().flipped),
    "rewiring_figure": lambda: dict(net=_net(), trace=_trace(), height=300),
}
SKIP = {"explorer": "widget; driven by notebook 05's explorer-check cell and tests/test_sparsebfa.py"}
FINITE_EXEMPT = {"Trace.flips_to": "inf where the accuracy never falls to the threshold (documented)"}
TABLE_ACCEPTS = {"defence_claim(table=column missing)": ("the dropped first column is one defence_claim does not "
                                                         "read (it reads code and the flip counts)", "same")}
