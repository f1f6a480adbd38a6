"""Valid, fast calls of lab.data (the digits loader), for tests/test_bad_input.py."""
from functools import lru_cache

MODULE = "lab.data"


@lru_cache(maxsize=1)
def _split():
    from lab.data import load_digits
    return load_digits(n_train=30, n_test=30, classes=[0, 1, 2], seed=0)


SPECS = {
    "load_digits": lambda: dict(test_fraction=0.3, classes=[0, 1, 2], seed=0, flat=False),
    "digits_data": lambda: dict(),
    "Digits": lambda: dict(x_train=_split().x_train, y_train=_split().y_train, x_test=_split().x_test,
                           y_test=_split().y_test, classes=(0, 1, 2)),
}
