"""Valid, fast calls of lab.core.paths, for tests/test_bad_input.py."""
MODULE = "lab.core.paths"
SPECS = {
    "repo_root": lambda: dict(),
    "data_dir": lambda: dict(),
    "notebooks_dir": lambda: dict(),
    "scoped_environ": lambda: dict(values={"LAB_SWEEP_UNUSED": "1"}),
}
SKIP = {
    "build_path": "takes *parts (path segments), which the sweep cannot name; its callers pass fixed names",
    "build_dir": "takes *parts (path segments), which the sweep cannot name; its callers pass fixed names",
}
