"""Valid, fast calls of lab.core.nbtemplate and lab.core.handouts, for tests/test_bad_input.py."""
MODULE = "lab.core.nbtemplate"
SPECS = {"skeleton": lambda: dict(number=12, topic="anomaly", title="A title")}
SKIP = {"find_parts": "reads a notebook node; every committed notebook goes through it in test_hygiene"}
