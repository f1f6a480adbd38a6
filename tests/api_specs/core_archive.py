"""Valid, fast calls of lab.core.archive, for tests/test_bad_input.py."""
import numpy as np

MODULE = "lab.core.archive"
SPECS = {"write_npz": lambda: dict(path="weights.npz", arrays={"w": np.ones(3)})}
