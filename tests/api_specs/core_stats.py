"""Valid, fast calls of lab.core.stats, for tests/test_bad_input.py."""
import numpy as np

from lab.core import stats

MODULE = "lab.core.stats"


def _iv():
    return stats.Interval(mean=1.0, lo=0.5, hi=1.5, n=3)


SPECS = {
    "Interval": lambda: dict(mean=1.0, lo=0.5, hi=1.5, n=3, level=0.95, paired=True),
    "Interval.excludes_zero": lambda: dict(self=_iv()),
    "Interval.above": lambda: dict(self=_iv(), value=0.0),
    "Interval.below": lambda: dict(self=_iv(), value=2.0),
    "Interval.scaled": lambda: dict(self=_iv(), factor=100.0),
    "Interval.text": lambda: dict(self=_iv(), digits=2, unit=" points", signed=True, short=False),
    "mean_interval": lambda: dict(values=np.array([0.6, 0.7, 0.8]), level=0.95, paired=False),
    "paired_interval": lambda: dict(a=np.array([0.7, 0.8, 0.9]), b=np.array([0.6, 0.65, 0.8]), level=0.95),
    "significant": lambda: dict(a=np.array([0.7, 0.8, 0.9]), b=np.array([0.6, 0.65, 0.8]), level=0.95),
    "mean_std_text": lambda: dict(values=np.array([0.6, 0.7, 0.8]), digits=2, unit=" %"),
}
