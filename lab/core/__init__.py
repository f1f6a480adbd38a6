"""Shared parts of the workbench: seeding, scale presets, argument checks, claims,
plotting, widgets and 3D viewing. Every notebook uses these; no topic logic lives here."""
from .seeding import seed_everything
from .scale import resolve_scale
from .device import torch_device
from . import checks, claims, plotting, widgets, registry, paths

__all__ = [
    "seed_everything", "resolve_scale", "torch_device", "checks", "claims", "plotting", "widgets",
    "registry", "paths",
]
