"""Valid, fast calls of lab.core.registry, for tests/test_bad_input.py."""
MODULE = "lab.core.registry"
SPECS = {
    "by_name": lambda: dict(name="03"),
    "existing": lambda: dict(),
    "index_markdown": lambda: dict(link_prefix="notebooks/"),
}
SKIP = {"Entry": "the registry's own frozen records, written in lab/core/registry.py, never from input"}
