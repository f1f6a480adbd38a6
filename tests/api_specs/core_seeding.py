"""Valid, fast calls of lab.core.seeding, for tests/test_bad_input.py."""
MODULE = "lab.core.seeding"
SPECS = {"seed_everything": lambda: dict(seed=0, deterministic_torch=True)}
