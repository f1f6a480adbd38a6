"""Valid, fast calls of lab.core.scale, seeding, registry and paths, for tests/test_bad_input.py."""
MODULE = "lab.core.scale"
SPECS = {
    "resolve_scale": lambda: dict(presets={"small": {"n": 1}}, scale="small"),
    "freeze": lambda: dict(presets={"small": {"n": 1}}),
    "check_presets": lambda: dict(scales={"small": {"n": 1}}, need=("n",), example="SCALES"),
}
SKIP = {"Scale": "a SimpleNamespace made by resolve_scale, which checks the preset"}
