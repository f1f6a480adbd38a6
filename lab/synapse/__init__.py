"""Equivalent-circuit model of an electrochemical artificial synapse (M. Huang, M. Onen,
J. A. del Alamo, J. Li, B. Yildiz, MTL 2022).

Backs notebooks/03_synapse.ipynb; notebooks/10_mg_synapse.ipynb (`lab.mg_synapse`) builds on it.

`device.py`: the device parameters, the state-space model of the gate stack and the stiff
solver (`simulate`); `waveforms.py`: gate waveforms (segments, pulse trains); `analysis.py`:
small-signal admittance, relaxation, pulse pairs, design levers and the claim helpers;
`spice.py`: the ngspice netlist export and runner (the independent cross-check); `views.py`:
the circuit diagram, Figure 2, the pulse designer and the ngspice overlay.
"""
from .analysis import (admittance_statespace, amplitude_for_dg, claim_partial_relaxation, claim_pulse_interaction,
                       claim_relaxation_processes, design_levers, impedance_analytic, linearize,
                       pulse_pair, relaxation, relaxation_theory)
from .device import PRESET_NOTES, PRESETS, Device, Result, preset, simulate
from .spice import compare_with_spice, ngspice_path, run_ngspice, to_spice
from .views import (design_waveform, explorer, figure2, overlay_figure, parameter_table, schematic, table,
                    xy_figure)
from .waveforms import Segment, Waveform, pulse_train

SCALES = {
    # n_e electrolyte cells, m channel segments, pts: output samples per waveform segment;
    # pair_intervals [s]: pulse-pair sweep; lever_thickness [m], lever_sigma [S/m]: design levers
    "small": dict(n_e=3, m=24, pts=50, pair_intervals=[2e-3, 5e-3, 20e-3, 80e-3, 300e-3],
                  lever_thickness=[5e-9, 10e-9, 20e-9], lever_sigma=[5e-6, 2e-5]),
    "paper": dict(n_e=6, m=60, pts=120, pair_intervals=[1e-3, 2e-3, 5e-3, 10e-3, 20e-3, 50e-3, 100e-3,
                                                          300e-3, 1.0],
                  lever_thickness=[3e-9, 5e-9, 10e-9, 20e-9, 40e-9], lever_sigma=[2.5e-6, 5e-6, 2e-5, 4e-5]),
}

__all__ = ["SCALES", "PRESETS", "PRESET_NOTES", "Device", "Result", "Segment", "Waveform", "admittance_statespace",
           "amplitude_for_dg", "claim_partial_relaxation", "claim_pulse_interaction", "claim_relaxation_processes", "compare_with_spice", "design_levers", "design_waveform", "explorer", "figure2",
           "impedance_analytic", "linearize", "ngspice_path", "overlay_figure", "parameter_table", "preset",
           "pulse_pair", "pulse_train", "relaxation", "relaxation_theory", "run_ngspice", "schematic",
           "simulate", "table", "to_spice", "xy_figure"]
