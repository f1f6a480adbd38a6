"""Valid, fast calls of lab.core.device, for tests/test_bad_input.py."""
MODULE = "lab.core.device"
SPECS = {"torch_device": lambda: dict(name="cpu", param="name"), "one_thread": lambda: dict(),
         "single_threaded": lambda: dict(fn=len)}
