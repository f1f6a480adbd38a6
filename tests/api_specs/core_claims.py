"""Valid, fast calls of lab.core.claims, for tests/test_bad_input.py."""
from lab.core import claims

MODULE = "lab.core.claims"
_Q = claims.qualitative("the paper gives no number")


def _rec():
    return claims.start("99_sweep")


SPECS = {
    "Measured": lambda: dict(value=1.0, holds=True, note=""),
    "Tolerance": lambda: dict(kind="rel", amount=0.1, why="spread"),
    "rel": lambda: dict(fraction=0.1, why="spread"),
    "absolute": lambda: dict(amount=0.5, why="spread"),
    "band": lambda: dict(lo=1.0, hi=2.0, why="the paper's range"),
    "at_least": lambda: dict(lo=1.0, why="a bound"),
    "at_most": lambda: dict(hi=1.0, why="a bound"),
    "qualitative": lambda: dict(why="no number"),
    "start": lambda: dict(notebook="99_sweep", scale="small", strict=None),
    "verdict": lambda: dict(holds=True, tolerance=claims.rel(0.1, "spread"), number=1.05, paper_value=1.0),
    "load": lambda: dict(notebook="99_sweep", scale="small"),
    "table": lambda: dict(notebook="99_sweep", scale="small", folder=None),
    "results_dir": lambda: dict(scale="paper"),
    "status": lambda: dict(notebook="99_sweep", scale="small"),
    "summary": lambda: dict(scales=("small", "paper"), link="CLAIMS.md"),
    "available": lambda: dict(),
    "Recorder.check": lambda: dict(self=_rec(), claim="a claim", paper="1", unit="", tolerance=_Q,
                                   measured=claims.Measured(1.0, True), fails_if="x below 0"),
    "Recorder.fact": lambda: dict(self=_rec(), fact="a size", value=3, unit="", note=""),
}
SKIP = {
    "Claim": "a record read back from JSON by load(); built only by Recorder.check, which checks its fields",
    "Fact": "a record read back from JSON by load(); built only by Recorder.fact, which checks its fields",
    "ClaimTable": "a view over checked records; built by Recorder.table and table()",
    "Recorder": "built by start(), whose notebook and scale arguments are swept",
    "counts_line": "formats a ClaimTable built by table(); no argument of its own to check",
    "report": "its one argument is a tuple of preset names read from the claim files; swept through table()",
}
