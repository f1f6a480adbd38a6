"""Gate waveforms for the synapse circuit model (device.py): segments of voltage or
current control (an open gate is I = 0), concatenated into pulse trains with read periods.

Used by notebooks/03_synapse.ipynb and notebooks/10_mg_synapse.ipynb.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lab.core.checks import check_choice, check_int, check_number, check_type


MAX_SEGMENTS = 200_001  # segments of one waveform (100000 pulses, their rests and a lead)


@dataclass(frozen=True)
class Segment:
    """One piece of a gate waveform: `duration` [s]; `mode` "V" (value in V) or "I"
    (value in A; an open gate is I = 0); `kind` "pulse" or "rest"; `pulse` its pulse index
    (-1 for rests)."""
    duration: float
    mode: str
    value: float
    kind: str = "rest"
    pulse: int = -1

    def __post_init__(self):
        check_number("duration", self.duration, lo=0.0, hi=1e9, lo_open=True)
        check_choice("mode", self.mode, ("V", "I"))
        check_number("value", self.value, lo=-1e6, hi=1e6)
        check_choice("kind", self.kind, ("pulse", "rest"))
        check_int("pulse", self.pulse, lo=-1)


@dataclass(frozen=True)
class Waveform:
    """A sequence of `Segment`s; `a + b` concatenates (pulse indices renumbered)."""
    segments: tuple = ()

    def __post_init__(self):
        check_type("segments", self.segments, tuple)
        if len(self.segments) > MAX_SEGMENTS:
            raise ValueError(f"segments must hold at most {MAX_SEGMENTS} segments; got {len(self.segments)}")
        for s in self.segments:
            check_type("segments[i]", s, Segment)

    def __add__(self, other: "Waveform") -> "Waveform":
        check_type("other", other, Waveform)
        k = self.n_pulses
        shifted = tuple(dataclasses.replace(s, pulse=s.pulse + k) if s.pulse >= 0 else s
                        for s in other.segments)
        return Waveform(self.segments + shifted)

    @property
    def n_pulses(self) -> int:
        return sum(1 for s in self.segments if s.kind == "pulse")

    @property
    def duration(self) -> float:
        return float(sum(s.duration for s in self.segments))

    def edges(self) -> np.ndarray:
        """Segment boundaries [s], length len(segments)+1."""
        return np.concatenate([[0.0], np.cumsum([s.duration for s in self.segments])])


def pulse_train(mode: str = "voltage", amplitude: float = 1.0, width: float = 1e-3, count: int = 1,
                interval: float = 20e-3, polarity=None, rest: float | None = None,
                lead: float = 0.0, tail: float | None = None) -> Waveform:
    """A train of `count` rectangular gate pulses.

    mode: "voltage" (amplitude in V) or "current" (amplitude in A). width: pulse width [s].
    interval: rest (read) time after each pulse [s]. polarity: None (all +1) or a sequence
    of +1/-1 (or any signed factors) of length `count`. rest: gate voltage [V] during
    rests in voltage mode; None = open gate (I = 0), always the case in current mode.
    lead: rest before the first pulse [s]. tail: the last rest [s] (default `interval`).
    """
    check_choice("mode", mode, ("voltage", "current"))
    amplitude = check_number("amplitude", amplitude, lo=-1e3, hi=1e3)
    width = check_number("width", width, lo=0.0, hi=1e6, lo_open=True)
    count = check_int("count", count, lo=1, hi=100000)
    interval = check_number("interval", interval, lo=0.0, hi=1e6, lo_open=True)
    lead = check_number("lead", lead, lo=0.0, hi=1e6)
    tail = interval if tail is None else check_number("tail", tail, lo=0.0, hi=1e6, lo_open=True)
    if polarity is None:
        pol = [1.0] * count
    else:
        if isinstance(polarity, (str, bytes)) or not hasattr(polarity, "__iter__"):
            raise TypeError(f"polarity must be None or a sequence of count={count} signed factors")
        pol = [check_number(f"polarity[{i}]", p, lo=-10.0, hi=10.0) for i, p in enumerate(polarity)]
        if len(pol) != count:
            raise ValueError(f"polarity must have count={count} entries; got {len(pol)}")
    if rest is not None:
        rest = check_number("rest", rest, lo=-1e3, hi=1e3)
        if mode == "current":
            raise ValueError("rest must be None in current mode (the gate is open between pulses)")
    pm = "V" if mode == "voltage" else "I"
    rest_seg = (lambda d: Segment(d, "V", rest)) if rest is not None else (lambda d: Segment(d, "I", 0.0))
    segs = [rest_seg(lead)] if lead > 0 else []
    for k in range(count):
        segs.append(Segment(width, pm, amplitude * pol[k], "pulse", k))
        segs.append(rest_seg(tail if k == count - 1 else interval))
    return Waveform(tuple(segs))


