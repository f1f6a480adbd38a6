"""The 17 abstracts of the report chapter, in the report's order.

`topic` names both the notebook (`notebooks/NN_<topic>.ipynb`) and its module
(`lab/<topic>.py` or the package `lab/<topic>/`). `python -m lab list`, the README index and the start-here
notebook read this table; a notebook "exists" when its file does.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .paths import notebooks_dir


@dataclass(frozen=True)
class Entry:
    number: int
    topic: str
    title: str
    authors: str
    venue: str
    explore: str

    @property
    def name(self) -> str:
        return f"{self.number:02d}_{self.topic}"

    @property
    def path(self) -> Path:
        return notebooks_dir() / f"{self.name}.ipynb"

    @property
    def exists(self) -> bool:
        return self.path.is_file()


ENTRIES: tuple[Entry, ...] = (
    Entry(1, "netaug", "Network Augmentation for Tiny Deep Learning", "H. Cai, C. Gan, J. Lin, S. Han",
          "ICLR 2022", "the augmented widths, α and model size against the accuracy gain on MNIST-1D"),
    Entry(2, "tomography", "Physics-assisted generative adversarial network for X-ray tomography",
          "Z. Guo, J. K. Song, G. Barbastathis, M. E. Glinsky, C. T. Vaughan, K. W. Larson, B. K. Alpert, Z. H. Levine",
          "MTL 2022", "projection angles, photons per ray and the prior's weight against the bit error rate"),
    Entry(3, "synapse", "Equivalent-circuit model of an electrochemical artificial synapse",
          "M. Huang, M. Onen, J. A. del Alamo, J. Li, B. Yildiz", "MTL 2022",
          "gate pulse waveforms, electrolyte and channel design, and the conductance they give"),
    Entry(4, "nacl", "Revisiting contrastive learning through the lens of neighborhood component analysis (NaCl)",
          "C.-Y. Ko, J. Mohapatra, S. Liu, P.-Y. Chen, L. Daniel, T.-W. Weng", "ICML 2022",
          "temperature, positives, λ and ε against standard and robust accuracy"),
    Entry(5, "sparsebfa", "SparseBFA: attacking sparse deep neural networks with the worst-case bit flips on coordinates",
          "K. Lee, A. P. Chandrakasan", "ICASSP 2022",
          "sparsity, storage format and flipped bits against accuracy"),
    Entry(6, "spgf", "SPGF: single-pass Gaussian fitting of depth images", "P. Z. X. Li, S. Karaman, V. Sze",
          "ICRA 2022", "watch SPGF fit depth frames, scanline by scanline"),
    Entry(7, "mcunet", "MCUNetV2: memory-efficient patch-based inference", "J. Lin, W.-M. Chen, H. Cai, C. Gan, S. Han",
          "NeurIPS 2021", "patch grid, split point and resolution against peak memory and MACs"),
    Entry(8, "pointacc", "PointAcc: an efficient point-cloud accelerator",
          "Y. Lin, Z. Zhang, H. Tang, H. Wang, S. Han", "MICRO 2021",
          "cache size, matrix-unit size and bandwidth against latency and energy"),
    Entry(9, "calo", "Calorimetry clustering with SPVCNN", "Z. Liu, X. Yang, S. Han et al.", "MTL 2022",
          "point-cloud clusters of calorimeter events in Open3D"),
    Entry(10, "mg_synapse", "Electrochemical artificial synapses based on Mg²⁺ intercalation",
          "M. Schwacke, J. A. del Alamo, J. Li, B. Yildiz", "MTL 2022",
          "current pulse trains, electrolyte leakage and the SEI against device metrics"),
    Entry(11, "ufm", "Uncertainty from Motion for monocular depth", "S. Sudhakar, S. Karaman, V. Sze",
          "ICRA 2022", "frame scrubber of depth and uncertainty maps"),
    Entry(12, "anomaly", "Unsupervised anomaly detection on high-frequency time series in the frequency domain",
          "F.-K. Sun, J. H. Lang, D. S. Boning", "MTL 2022",
          "fault severity, pooled length and dropout against spectra and anomaly scores"),
    Entry(13, "sparseconv", "TorchSparse: efficient point-cloud inference engine",
          "H. Tang, Z. Liu, X. Li, Y. Lin, S. Han", "MLSys 2022",
          "grouping thresholds and scene size against the stage-time breakdown"),
    Entry(14, "quantumnas", "QuantumNAS: noise-adaptive search for robust quantum circuits",
          "H. Wang, Y. Ding, J. Gu, Z. Li, Y. Lin, D. Z. Pan, F. T. Chong, S. Han", "HPCA 2022",
          "backend, noise scale and design space against noise-free and noisy accuracy"),
    Entry(15, "sparseloop", "Sparseloop: analytical modelling of sparse tensor accelerators",
          "Y. N. Wu, P.-A. Tsai, A. Parashar, V. Sze, J. S. Emer", "MICRO 2022", "sparsity against energy and cycles"),
    Entry(16, "unstable_rl", "Fast convergence of policy gradient for unstable linear-quadratic systems",
          "W. Zhang", "MTL 2022", "instability, method and step size against cost and trajectories"),
    Entry(17, "dga", "Delayed Gradient Averaging for federated learning", "L. Zhu, S. Han et al.", "NeurIPS 2021",
          "latency, delay and worker count against accuracy over time"),
)


START = Entry(0, "start_here", "The MLNC workbench: start here", "", "", "the index, a demo explorer and all claims")


def by_name(name: str) -> Entry:
    """Find an entry by '03', '3', 'synapse' or '03_synapse'. Unknown names raise
    ValueError listing the notebooks that exist."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str such as '03' or 'synapse'; got {type(name).__name__}")
    key = name.strip().removesuffix(".ipynb")
    for e in (START, *ENTRIES):
        if key in (e.name, e.topic, f"{e.number:02d}", str(e.number)):
            return e
    valid = ", ".join(e.name for e in ENTRIES if e.exists) or "(none yet)"
    raise ValueError(f"name {name!r} is not a notebook; valid notebooks are: {valid}")


def existing() -> list[Entry]:
    return [e for e in ENTRIES if e.exists]


def index_markdown(link_prefix: str = "") -> str:
    """The notebook index as a markdown table; existing notebooks are linked."""
    from . import claims

    lines = ["| # | Topic | Paper | What you can explore | Claims |", "|---|---|---|---|---|"]
    for e in ENTRIES:
        title = f"[{e.title}]({link_prefix}{e.name}.ipynb)" if e.exists else f"{e.title} *(not written yet)*"
        state = claims.status(e.name) if e.exists else "–"
        lines.append(f"| {e.number:02d} | {title} | {e.authors}, {e.venue} | {e.explore} | {state} |")
    return "\n".join(lines)
