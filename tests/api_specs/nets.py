"""Valid, fast calls of lab.core.nets's public API, for tests/test_bad_input.py."""
from functools import lru_cache

import torch.nn as nn

from lab.core import nets as T

MODULE = "lab.core.nets"


@lru_cache(maxsize=1)
def _tiny():
    return T.mobilenet_v2_specs(0.35, settings=((1, 8, 1, 1), (6, 8, 2, 2)), last_ch=16)


SPECS = {
    "make_divisible": lambda: dict(value=11.2, divisor=8, min_value=8),
    "ConvSpec": lambda: dict(in_ch=8, out_ch=8, kernel=3, stride=2, groups=8, act=True),
    "ConvSpec.out_size": lambda: dict(self=T.ConvSpec(8, 8, 3, 2, 8), size=16),
    "ConvSpec.macs": lambda: dict(self=T.ConvSpec(8, 16, 1), out_h=4, out_w=4),
    "BlockSpec": lambda: dict(name="b", convs=(T.ConvSpec(8, 16, 1), T.ConvSpec(16, 8, 1, act=False)),
                              residual=True),
    "inverted_residual": lambda: dict(name="b", in_ch=8, out_ch=8, expand=2.0, stride=1, kernel=3, hidden=None),
    "mobilenet_v2_specs": lambda: dict(width_mult=0.35, in_ch=3, kernels=None, settings=((1, 8, 1, 1),),
                                       last_ch=16),
    "feature_sizes": lambda: dict(blocks=_tiny(), size=32),
    "ConvBNAct": lambda: dict(spec=T.ConvSpec(4, 8, 3)),
    "SpecBlock": lambda: dict(spec=_tiny()[1]),
    "SpecNet": lambda: dict(blocks=_tiny(), num_classes=10, dropout=0.1),
    "DynamicConv2d": lambda: dict(max_in=4, max_out=8, kernel=3, stride=1, depthwise=False, bias=False),
    "DynamicBatchNorm2d": lambda: dict(num_features=8, eps=1e-5, momentum=0.1, affine=True,
                                       track_running_stats=True),
    "DynamicLinear": lambda: dict(in_features=8, out_features=4, bias=True),
    "count_params": lambda: dict(model=nn.Linear(3, 2)),
    "count_macs": lambda: dict(model=nn.Conv2d(2, 3, 3, padding=1), input_shape=(2, 8, 8)),
    "spec_macs": lambda: dict(blocks=_tiny(), size=32, num_classes=10),
    "with_kernels": lambda: dict(block=_tiny()[1], kernel=5),
}
SKIP = {}
