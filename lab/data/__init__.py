"""Data that several topics load or generate: one digits loader (`digits`), synthetic
RGB-D scenes (`scenes`) and LiDAR-like scenes (`lidar`). Nothing is downloaded."""
from . import lidar, scenes
from .digits import Digits, digits_data, load_digits

__all__ = ["Digits", "digits_data", "load_digits", "lidar", "scenes"]
