"""Valid, fast calls of lab.data (the digits loader), for tests/test_bad_input.py."""
MODULE = "lab.data"
SPECS = {
    "load_digits": lambda: dict(test_fraction=0.3, classes=[0, 1, 2], seed=0, flat=False),
    "digits_data": lambda: dict(),
}
SKIP = {"Digits": "the frozen result of load_digits, which checks every argument"}
