"""The MLNC workbench's helper package.

`lab.core` holds what every notebook shares; `lab.<topic>` backs
`notebooks/NN_<topic>.ipynb` (see `lab.core.registry`).
"""
import os as _os

from .core.paths import build_path as _build_path

# Everything generated goes under build/: numba's compiled-function cache too.
_os.environ.setdefault("NUMBA_CACHE_DIR", str(_build_path("numba_cache")))  # numba creates it when it caches

__version__ = "0.1.0"
