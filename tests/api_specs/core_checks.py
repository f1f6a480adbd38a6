"""Valid, fast calls of lab.core.checks, for tests/test_bad_input.py. The checks name the caller's
parameter, so each call passes name="value" and a bad `value` must be refused naming it."""
import numpy as np
import pandas as pd

MODULE = "lab.core.checks"
SPECS = {
    "check_number": lambda: dict(name="value", value=1.0, lo=0.0, hi=2.0),
    "check_positive": lambda: dict(name="value", value=1.0),
    "check_nonnegative": lambda: dict(name="value", value=1.0),
    "check_int": lambda: dict(name="value", value=3, lo=0, hi=10),
    "check_choice": lambda: dict(name="value", value="a", choices=["a", "b"]),
    "check_str_choice": lambda: dict(name="value", value="a", choices=["a", "b"]),
    "check_bool": lambda: dict(name="value", value=True),
    "check_array": lambda: dict(name="value", value=np.ones((2, 3)), ndim=2),
    "check_type": lambda: dict(name="value", value=1.0, types=float),
    "check_table": lambda: dict(name="value", value=pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]}),
                                columns=("a", "b"), what="a test table"),
}
FINITE_EXEMPT = {"check_type": "checks the type only; a NaN float is a float, and callers check finiteness"}
