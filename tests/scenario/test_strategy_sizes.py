"""Strategies with their own sizes (docs/model.md section 2d): a strategy's
``grid.model_sizes`` says at which of the scenario's sizes it is an
alternative. Every (strategy, size) pair is still evaluated on the same
draws; only the declared ones are alternatives: P(best), the choice, regret,
EVPI and EVPPI are over them, and the tables show them alone."""

from __future__ import annotations

import numpy as np
import pytest

from sim.analyses.decide import decide
from sim.analyses.run import run, sample
from sim.present.tables import decision_table, summary_table, sweep_table
from sim.results.alternatives import alternatives_only, select_strategy
from sim.scenario.load import from_mapping, load_scenario, scenario_from_toml_text
from sim.vocab.errors import ScenarioError

N = 16_384
SEED = 5


def fine_tune_vs_pretrain(**strategy_sizes):
    """The bundled strategies' pretraining and fine-tuning worlds on a grid
    of 7B and 70B: "pretrain at 7B against fine-tune at 70B" by default."""
    flat = load_scenario("strategies").to_flat()
    tables = flat["strategies"]
    sizes = {"pretrain_market": [7e9], "finetune_niche": [7e10], **strategy_sizes}
    flat["grid.model_sizes"] = [7e9, 7e10]
    flat["strategies"] = {name: {**tables[name], **({"grid.model_sizes": sizes[name]}
                                                    if sizes[name] is not None else {})}
                          for name in ("pretrain_market", "finetune_niche")}
    return from_mapping(flat)


# ---------------------------------------------------------------- the scenario

def test_declared_sizes_are_the_alternatives():
    sc = fine_tune_vs_pretrain()
    assert [st.model_sizes for st in sc.strategies] == [(7e9,), (7e10,)]
    assert sc.alternative_mask().tolist() == [[True, False], [False, True]]


def test_a_strategy_without_sizes_is_an_alternative_at_every_size():
    sc = fine_tune_vs_pretrain(finetune_niche=None)
    assert sc.alternative_mask().tolist() == [[True, False], [True, True]]
    assert load_scenario("strategies").alternative_mask().all()


def test_sizes_outside_the_grid_are_refused_naming_the_union():
    with pytest.raises(ScenarioError, match=r"strategies\.finetune_niche\.grid\.model_sizes: 3e\+09 not in "
                                            r"the scenario's grid\.model_sizes \(7e\+09, 7e\+10\).*union"):
        fine_tune_vs_pretrain(finetune_niche=[3e9, 7e10])


@pytest.mark.parametrize("value, needle", [
    ([], "expected a non-empty list of sizes"),
    (7e9, "expected a non-empty list of sizes"),
    ([7e9, 7e9], "sizes must be distinct"),
    ([-1.0], "expected positive sizes"),
    (["7B"], "expected positive sizes"),
])
def test_bad_strategy_sizes_are_one_clear_error(value, needle):
    with pytest.raises(ScenarioError, match=r"strategies\.pretrain_market\.grid\.model_sizes: " + needle):
        fine_tune_vs_pretrain(pretrain_market=value)


def test_strategy_sizes_survive_the_stored_scenario_text():
    sc = fine_tune_vs_pretrain()
    again = scenario_from_toml_text(sc.to_toml())
    assert again == sc
    assert again.alternative_mask().tolist() == sc.alternative_mask().tolist()


def test_set_reaches_a_strategy_sizes():
    sc = load_scenario("strategies", {"strategies.pretrain_premium.grid.model_sizes": [1e9, 1e10]})
    mask = sc.alternative_mask()
    assert mask[1].tolist() == [n in (1e9, 1e10) for n in sc.model_sizes]
    assert mask[[0, 2, 3, 4]].all()


# ---------------------------------------------------------------- the decision

@pytest.fixture(scope="module")
def decided():
    sc = fine_tune_vs_pretrain()
    return sc, decide(sc, N, seed=SEED)


def test_p_best_sums_to_one_over_the_declared_alternatives(decided):
    _, ds = decided
    alt = ds["alternative"].values
    assert alt.tolist() == [[True, False], [False, True]]
    pb = ds["prob_best"].values
    assert np.all(pb[~alt] == 0.0)
    assert pb[alt].sum() == pytest.approx(1.0, abs=1e-12)
    assert 0.0 < pb[0, 0] < 1.0  # both alternatives win sometimes: a real choice


def test_the_choice_is_the_declared_alternative_with_the_highest_mean(decided):
    _, ds = decided
    mean = ds["net_value_mean"].values
    masked = np.where(ds["alternative"].values, mean, -np.inf)
    s, j = np.unravel_index(int(np.argmax(masked)), mean.shape)
    assert (ds.attrs["choice_strategy"], ds.attrs["choice_model_size"]) == (
        str(ds["strategy"].values[s]), float(ds["model_size"].values[j]))
    assert ds["alternative"].values[s, j]


def test_evpi_is_over_the_alternatives_by_hand(decided):
    """EVPI = E[max_a O_a] - max_a E[O_a] over the two alternatives, from
    the raw draws of the same seed (sim.sample returns every pair)."""
    sc, ds = decided
    raw = sample(sc, N, seed=SEED)
    value = raw["net_value"].values  # (scenario, strategy, model_size)
    alt = ds["alternative"].values
    alternatives = value[:, alt]  # (scenario, 2)
    evpi = alternatives.max(axis=1).mean() - alternatives.mean(axis=0).max()
    assert float(ds["evpi"]) == pytest.approx(evpi, rel=1e-9, abs=1e-3)
    everything = value.reshape(N, -1)
    assert everything.max(axis=1).mean() - everything.mean(axis=0).max() != pytest.approx(evpi, rel=1e-3)
    best = raw["best"].values
    assert np.all(best[:, ~alt] == 0.0)
    assert np.allclose(best[:, alt].sum(axis=1), 1.0)


def test_pairs_that_are_no_alternative_are_evaluated_as_before(decided):
    """The restriction changes the decision columns only: every other
    statistic of every pair equals that of the unrestricted scenario."""
    _, ds = decided
    full = decide(fine_tune_vs_pretrain(pretrain_market=None, finetune_niche=None), N, seed=SEED)
    assert "alternative" not in full.coords
    for name in ("roi_mean", "net_value_mean", "prob_loss", "roi_quantile", "cvar_05"):
        np.testing.assert_array_equal(ds[name].values, full[name].values)
    assert not np.array_equal(ds["prob_best"].values, full["prob_best"].values)
    for name in ds.data_vars:
        assert np.isfinite(ds[name].values).all(), name  # no NaN in the stored result


def test_a_constrained_choice_is_among_the_alternatives():
    sc = fine_tune_vs_pretrain()
    ds = decide(sc, N, seed=SEED, max_prob_loss=1.0)
    assert ds.attrs["n_eligible"] == 2
    assert ds["alternative"].sel(strategy=ds.attrs["choice_strategy"],
                                 model_size=ds.attrs["choice_model_size"])


def test_a_single_alternative_has_zero_evpi_and_evppi():
    flat = fine_tune_vs_pretrain().to_flat()
    flat["strategies"]["finetune_niche"]["grid.model_sizes"] = [7e9]
    flat["strategies"]["pretrain_market"]["grid.model_sizes"] = [7e9]
    two = from_mapping(flat)  # both at 7B: the 70B column is no alternative
    assert two.alternative_mask().tolist() == [[True, False], [True, False]]
    flat["strategies"] = {"only": {"grid.model_sizes": [7e10]}, "other": {"grid.model_sizes": [7e10],
                                                                         "market.price_premium": 2.0}}
    ds = decide(from_mapping(flat), N, seed=SEED)
    assert ds["alternative"].values.tolist() == [[False, True], [False, True]]
    flat["strategies"] = {"only": {"grid.model_sizes": [7e10]}}
    one = decide(from_mapping(flat), N, seed=SEED)
    assert one["prob_best"].values.tolist() == [[0.0, 1.0]]
    assert float(one["evpi"]) == 0.0
    assert np.all(one["evppi"].values == 0.0)
    assert one.attrs["choice"] == "only at 70B"


# ---------------------------------------------------------------- what is shown

def test_tables_show_only_the_declared_alternatives(decided):
    _, ds = decided
    text = decision_table(ds)
    ranked = [line for line in text.splitlines() if line[:4].strip().isdigit()]
    assert len(ranked) == 2
    assert any("pretrain_market" in r and " 7B " in r for r in ranked)
    assert any("finetune_niche" in r and " 70B " in r for r in ranked)
    summary = summary_table(ds)
    pretrain = summary.split("strategy 'finetune_niche'")[0]
    assert "70B" not in pretrain.split("scenario")[1]  # the pretrain table: 7B rows only
    assert "over the 2 (strategy, size) alternatives the strategies declare" in summary


def test_select_strategy_and_alternatives_only(decided):
    _, ds = decided
    one = select_strategy(ds, "finetune_niche")
    assert one["model_size"].values.tolist() == [7e10]
    shown = alternatives_only(ds)
    assert np.isnan(shown["roi_mean"].sel(strategy="pretrain_market", model_size=7e10))
    assert np.isfinite(shown["roi_mean"].sel(strategy="pretrain_market", model_size=7e9))
    assert np.isfinite(ds["roi_mean"].values).all()  # the result itself is unchanged


def test_run_sweep_and_report_show_only_the_alternatives():
    from sim.analyses.sweep import sweep
    from sim.present.report import build_report, run_table

    sc = fine_tune_vs_pretrain()
    ds = run(sc, 4096, seed=1)
    assert ds["alternative"].values.tolist() == [[True, False], [False, True]]
    body = run_table(ds).split("<tbody>")[1]
    assert body.count("<tr>") == 2
    assert "<td>pretrain_market</td><td>7B</td>" in body
    assert "<td>finetune_niche</td><td>70B</td>" in body
    sw = sweep(sc, {"market.hype": [1.0, 2.0]}, 4096, seed=1)
    rows = sweep_table(sw).splitlines()
    pretrain = next(r for r in rows if "pretrain_market" in r).split("pretrain_market")[1].split()
    finetune = next(r for r in rows if "finetune_niche" in r and "at" not in r).split("finetune_niche")[1].split()
    assert pretrain[1] == "-" and pretrain[0] != "-"  # 7B shown, 70B not an alternative
    assert finetune[0] == "-" and finetune[1] != "-"
    assert "pretrain_market" in build_report([("r.nc", ds)])
