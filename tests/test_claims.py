"""The claims package's contract: the verdict as a pure function, and the recorder's strictness."""
import pytest

from lab.core import claims


def test_verdict_is_a_pure_function_of_holds_tolerance_and_numbers():
    tol = claims.rel(0.1, "spread")
    assert claims.verdict(True, tol, 1.05, 1.0) == claims.REPRODUCED
    assert claims.verdict(True, tol, 1.5, 1.0) == claims.DIRECTION
    assert claims.verdict(False, tol, 1.0, 1.0) == claims.NOT_REPRODUCED
    assert claims.verdict(True, claims.qualitative("no number"), None, None) == claims.REPRODUCED
    assert claims.verdict(True, claims.at_least(600, "the paper's bound"), 599.0, None) == claims.DIRECTION
    with pytest.raises(ValueError, match="number"):
        claims.verdict(True, tol, None, 1.0)
    with pytest.raises(TypeError, match="paper_value"):
        claims.verdict(True, tol, 1.0, float("nan"))


def _failing(rec):
    return rec.check("x is above 0", paper="1", paper_value=1.0, unit="", measured=claims.Measured(-1.0, False),
                     tolerance=claims.rel(0.5, "spread"), fails_if="x at or below 0")


def test_strictness_is_the_recorders_own(build_tmp, monkeypatch):
    monkeypatch.delenv("LAB_SCALE_OVERRIDES", raising=False)
    assert claims.start("99_strict").strict                 # the small scale as shipped stops
    assert not claims.start("99_strict", "paper").strict    # a long run records and goes on
    monkeypatch.setenv("LAB_SCALE_OVERRIDES", '{"epochs": 1}')
    assert not claims.start("99_strict").strict             # quick settings record and go on
    with pytest.raises(claims.ClaimFailed):
        _failing(claims.start("99_strict", strict=True))    # an explicit choice wins over the environment
    monkeypatch.delenv("LAB_SCALE_OVERRIDES")
    with pytest.warns(UserWarning, match="did not hold"):
        table = _failing(claims.start("99_strict", strict=False))
    assert table.rows[0][1].verdict == claims.NOT_REPRODUCED and not table.rows[0][1].must_hold
    with pytest.raises(TypeError, match="strict"):
        claims.start("99_strict", strict="yes")
