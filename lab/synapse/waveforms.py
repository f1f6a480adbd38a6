"""Gate waveforms for the synapse circuit model (device.py): segments of voltage or
current control (an open gate is I = 0), concatenated into pulse trains with read periods.

Used by notebooks/03_synapse.ipynb and notebooks/10_mg_synapse.ipynb.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from lab.core.checks import check_choice, check_int, check_nonnegative, check_number, check_positive, check_type


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
        check_positive("duration", self.duration)
        check_choice("mode", self.mode, ("V", "I"))
        check_number("value", self.value)
        check_choice("kind", self.kind, ("pulse", "rest"))
        check_int("pulse", self.pulse, lo=-1)


@dataclass(frozen=True)
class Waveform:
    """A sequence of `Segment`s; `a + b` concatenates (pulse indices renumbered)."""
    segments: tuple = ()

    def __post_init__(self):
        check_type("segments", self.segments, tuple)
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
    amplitude = check_number("amplitude", amplitude)
    width = check_positive("width", width)
    count = check_int("count", count, lo=1, hi=100000)
    interval = check_positive("interval", interval)
    lead = check_nonnegative("lead", lead)
    tail = interval if tail is None else check_positive("tail", tail)
    if polarity is None:
        pol = [1.0] * count
    else:
        pol = [check_number(f"polarity[{i}]", p) for i, p in enumerate(polarity)]
        if len(pol) != count:
            raise ValueError(f"polarity must have count={count} entries; got {len(pol)}")
    if rest is not None:
        rest = check_number("rest", rest)
        if mode == "current":
            raise ValueError("rest must be None in current mode (the gate is open between pulses)")
    pm = "V" if mode == "voltage" else "I"
    rest_seg = (lambda d: Segment(d, "V", rest)) if rest is not None else (lambda d: Segment(d, "I", 0.0))
    segs = [rest_seg(lead)] if lead > 0 else []
    for k in range(count):
        segs.append(Segment(width, pm, amplitude * pol[k], "pulse", k))
        segs.append(rest_seg(tail if k == count - 1 else interval))
    return Waveform(tuple(segs))


