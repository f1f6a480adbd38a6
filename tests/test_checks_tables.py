"""Tables a helper does not expect (issue 30): `lab.core.checks.check_table`'s known answers, and the claim
helpers that compare methods (or layouts, conditions, designs) refusing a table that lacks one of them with a
ValueError naming the parameter and what is missing, instead of a KeyError, an IndexError or a NaN."""
import numpy as np
import pandas as pd
import pytest

from lab.core.checks import check_table


def _t():
    return pd.DataFrame({"method": ["a", "b"], "auc": [0.9, 0.8]})


# ----------------------------------------------------------------------------- check_table
def test_check_table_returns_the_table_it_accepts():
    t = _t()
    assert check_table("df", t, ("method", "auc"), what="a run_seeds table") is t
    assert check_table("df", t) is t                            # no columns asked for
    assert check_table("df", t.iloc[:0], ("auc",), min_rows=0).empty  # an empty table where allowed


def test_check_table_refuses_naming_the_parameter_and_what_it_must_be():
    with pytest.raises(TypeError, match=r"df must be a run_seeds table with the columns \['auc'\] "
                                        r"\(a pandas DataFrame\); got dict"):
        check_table("df", {"auc": [1.0]}, ("auc",), what="a run_seeds table")
    with pytest.raises(TypeError, match="df must be a table .*got Series"):
        check_table("df", _t().auc)
    with pytest.raises(ValueError, match=r"df must be a run_seeds table with the columns \['method', 'far'\]; "
                                         r"it lacks \['far'\] \(it has \['method', 'auc'\]\)"):
        check_table("df", _t(), ("method", "far"), what="a run_seeds table")
    with pytest.raises(ValueError, match=r"df must be a run_seeds table with the columns \['auc'\] of at least 1 "
                                         r"row\(s\); got 0"):
        check_table("df", _t().iloc[:0], ("auc",), what="a run_seeds table")
    with pytest.raises(ValueError, match=r"at least 3 row\(s\); got 2"):
        check_table("df", _t(), min_rows=3)
    with pytest.raises(ValueError, match=r"lacks \['auc'\]"):        # no columns at all
        check_table("df", pd.DataFrame(), ("auc",))


def test_check_table_refuses_bad_settings_naming_them():
    with pytest.raises(TypeError, match="columns must be a list of column names; got str"):
        check_table("df", _t(), "auc")
    with pytest.raises(TypeError, match="columns must hold column names"):
        check_table("df", _t(), ("auc", None))
    with pytest.raises(ValueError, match=r"min_rows must be an integer in \[0, inf\]"):
        check_table("df", _t(), min_rows=-1)
    with pytest.raises(TypeError, match="min_rows must be an integer"):
        check_table("df", _t(), min_rows=1.5)
    with pytest.raises(TypeError, match="what must be str"):
        check_table("df", _t(), what=None)


# ----------------------------------------------------------------------------- a method absent
def _anomaly_df(methods=("AE (frequency)", "AE (time)")):
    return pd.DataFrame([dict(seed=s, method=m, fault=f, auc=0.9, accuracy=0.8, far=0.05)
                         for s in (0, 1) for m in methods for f in ("worn", "coolant")])


def test_anomaly_claims_name_the_absent_method():
    from lab import anomaly
    df = _anomaly_df(("AE (frequency)",))
    with pytest.raises(ValueError, match=r"df holds no rows of 'AE \(time\)' on worn"):
        anomaly.frequency_beats_time_claim(df)                         # was KeyError
    with pytest.raises(ValueError, match=r"df holds no rows of 'PCA'.*AE \(frequency\)"):
        anomaly.accuracy_claim(df, method="PCA")                       # was a NaN value, refused unnamed
    with pytest.raises(ValueError, match=r"df holds no rows of 'PCA' on worn"):
        anomaly.false_alarm_claim(df, method="PCA")                    # was a NaN value, refused unnamed
    assert anomaly.frequency_beats_time_claim(_anomaly_df()).holds is False  # equal AUCs: not above


def test_sparseloop_crossover_claim_names_the_table_missing_a_design():
    from lab import sparseloop
    art = sparseloop.artifact_fig1()
    ours = art[art.design == "bitmask + gating"]
    with pytest.raises(ValueError, match="ours must hold both designs"):   # was "df must ...": unnamed
        sparseloop.crossover_claim(ours, art, "cycles")
    with pytest.raises(ValueError, match="artifact must hold both designs"):
        sparseloop.crossover_table(art, ours)
    with pytest.raises(ValueError, match=r"ours must be a fig1_sweep table .*lacks \['cycles'\]"):
        sparseloop.crossover_claim(art.drop(columns="cycles"), art, "cycles")


def _tomo_df(methods=("PGAN", "MLE")):
    return pd.DataFrame([dict(object=k, n_angles=4, photons=1e3, method=m, ber=0.1 if m == "PGAN" else 0.2)
                         for k in range(3) for m in methods])


def test_tomography_claims_name_df_iid_when_it_lacks_a_method():
    from lab import tomography
    with pytest.raises(ValueError, match=r"df_iid must hold PGAN and MLE rows .*methods \['PGAN'\]"):
        tomography.control_claim(_tomo_df(("PGAN",)), 4, 1e3)          # was "df must ...": unnamed
    with pytest.raises(ValueError, match="df_iid must hold PGAN and MLE rows"):
        tomography.attribution_claim(_tomo_df(), _tomo_df(("PGAN",)), 4, 1e3)
    with pytest.raises(ValueError, match=r"n_angles, photons must be a condition of df_iid.*\['\(4, 1000.0\)'\]"):
        tomography.control_claim(_tomo_df(), 8, 1e3)
    assert tomography.control_claim(_tomo_df(), 4, 1e3).value == pytest.approx(0.5)


def _rl_df(methods):
    return pd.DataFrame([dict(system=i, seed=s, method=m, status="converged", iters=10 + i, rho=1.2)
                         for s in (0, 1) for i in range(2) for m in methods])


def test_unstable_rl_claims_name_the_absent_method():
    from lab import unstable_rl
    df = _rl_df(("vanilla", "vanilla (γ fixed)", "adaptive PI"))
    with pytest.raises(ValueError, match=r"df holds no rows of \['model-free vanilla'\]"):
        unstable_rl.vanilla_fails_claim(df)                            # was a NaN rate, refused unnamed
    with pytest.raises(ValueError, match=r"df holds no rows of \['annealing \(natural\)'\]"):
        unstable_rl.converges_claim(df, method="annealing (natural)")  # was a NaN value
    with pytest.raises(ValueError, match=r"df holds no rows of \['annealing \(natural\)', 'annealing \(vanilla\)'\]"):
        unstable_rl.iterations_claim(df)
    assert unstable_rl.converges_claim(df).holds


def test_ufm_claims_name_the_absent_method_or_layout():
    from lab import ufm
    from lab.ufm.method import METHODS

    def comparison(layouts, methods=METHODS):
        rows = [dict(layout=lay, seed=s, method=m, nll=1.0 + 0.1 * j, ece=0.1, ece_delta1=0.1, rmse=0.5,
                     inferences_per_frame=1.0 + j, ms_per_frame=2.0 + j)
                for lay in layouts for s in (0, 1) for j, m in enumerate(methods)]
        return ufm.Comparison(pd.DataFrame(rows), {(layouts[0], 0): None}, 2)

    with pytest.raises(ValueError, match=r"comparison must hold the layouts \['ood', 'indoor'\].*lacks \['ood'\]"):
        ufm.nll_claim(comparison(("indoor",)))                         # was KeyError: 'ood'
    with pytest.raises(ValueError, match=r"lacks \['ood'\]"):
        ufm.aleatoric_ood_claim(comparison(("indoor",)))
    with pytest.raises(ValueError, match=r"comparison must hold every method .*\(lacks \['ensemble-UfM'\]"):
        ufm.speed_claim(comparison(("indoor", "ood"), METHODS[:2]))  # was KeyError: 'ensemble-UfM'
    assert np.isfinite(ufm.speed_claim(comparison(("indoor", "ood"))).value)


def test_spgf_claim_numbers_names_a_missing_column():
    from lab import spgf
    df = pd.DataFrame([dict(frame=0, method=m, rmse_cm=5.0, peak_bytes=1e4, gaussians=10, fps=30.0, state_bytes=100)
                       for m in ("SPGF", "EM", "NDT")])
    with pytest.raises(ValueError, match=r"df must be a compare\(\) table .*lacks \['state_peak_bytes'\]"):
        spgf.live_state_claim(df)                                      # was AttributeError
    with pytest.raises(ValueError, match=r"df must hold SPGF, EM and NDT rows .*\['EM', 'SPGF'\]"):
        spgf.claim_numbers(df.assign(state_peak_bytes=50)[df.method != "NDT"])


def test_pointacc_published_claim_names_a_missing_column_and_the_widths_it_holds():
    from lab import pointacc
    df = pd.DataFrame(dict(cr=[1.0], speedup=[2.0], energy_saving=[3.0], accel_ms=[1.0], gpu_ms=[2.0]))
    with pytest.raises(ValueError, match=r"lacks \['accel_mJ', 'accel_static_mJ', 'gpu_mJ'\]"):
        pointacc.published_claim(df, what="energy_saving")            # was AttributeError
    with pytest.raises(ValueError, match=r"one row of width multiplier 0.5; its rows have cr = \[1.0\]"):
        pointacc.published_claim(df, cr=0.5)
    assert pointacc.published_claim(df).holds


def test_sparsebfa_claims_list_what_the_table_holds():
    from lab import sparsebfa
    tab = pd.DataFrame([dict(format="rel", method="sparsebfa", seed=s, flip_seed=0, flips=2.0, reached=True,
                             bits=10_000, index_bits=4_000) for s in (0, 1)])          # a run_table(...) table
    with pytest.raises(ValueError, match=r"method='random'.*\[\('sparsebfa', 'rel'\)\]"):
        sparsebfa.vs_random_claim(tab, "rel")
    with pytest.raises(ValueError, match=r"lacks \['bits'\]"):
        sparsebfa.random_guess_claim(tab.drop(columns="bits"), "rel")  # was AttributeError
    d = pd.DataFrame(dict(format=["rel"], code=["parity"], sparsebfa_detected=[1], sparsebfa_flips=[1],
                          extra_bits_fraction=[0.01]))
    with pytest.raises(ValueError, match=r"table holds no rows of code 'crc8'; it holds the codes \['parity'\]"):
        sparsebfa.defence_claim(d, "crc8")
