"""The MLNC workbench's helper package.

`lab.core` holds what every notebook shares; `lab.<topic>` backs
`notebooks/NN_<topic>.ipynb` (see `lab.core.registry`).
"""
__version__ = "0.1.0"
