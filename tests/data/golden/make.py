"""Write the saved results that every later version must reproduce bit for bit.

Run once, on the commit named in ``README.md`` beside this file (before the
package was laid out in layers); a later run would only copy whatever the
code does then. ``tests/results/test_golden.py`` reruns each entry of
:data:`RUNS` and compares the Dataset with the saved file.

    python tests/data/golden/make.py
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
V2_SCENARIOS = HERE.parent / "v2_scenarios"

#: file stem -> (function, scenario, keyword arguments). Small n keeps the
#: files small and the test fast; every bundled scenario is here.
RUNS = {
    **{f"run_{name}": ("run", name, dict(n_scenarios=8192, seed=17))
       for name in ("baseline", "bert_seed", "cooling", "data_wall", "finetune", "hype", "price_war",
                    "regulated", "strategies")},
    "run_baseline_sobol": ("run", "baseline", dict(n_scenarios=8192, seed=5, sampler="sobol")),
    "run_baseline_lhs": ("run", "baseline", dict(n_scenarios=8192, seed=3, sampler="lhs")),
    "run_baseline_nopath": ("run", "baseline", dict(n_scenarios=8192, seed=17, path=False)),
    "decide_strategies": ("decide", "strategies", dict(n_scenarios=16384, seed=17)),
    "decide_baseline": ("decide", "baseline", dict(n_scenarios=8192, seed=17)),
    "sweep_baseline": ("sweep", "baseline", dict(vary={"market.competitors.lam": [4.0, 16.0]},
                                                 n_scenarios=8192, seed=17)),
    "sample_baseline": ("sample", "baseline", dict(n_scenarios=512, seed=17)),
    "sensitivity_baseline": ("sensitivity", "baseline", dict(n_scenarios=1024, seed=17, tornado_n=512)),
    "sensitivity_strategies": ("sensitivity", "strategies", dict(n_scenarios=512, seed=17, method="rank",
                                                                 tornado_n=256)),
}


def compute(function: str, scenario: str, kwargs: dict):
    import sim

    # The scenario files as they were when these results were saved (model v2):
    # the bundled ones have since been re-sourced for model v3.
    return getattr(sim, function)(V2_SCENARIOS / f"{scenario}.toml", **kwargs)


def main() -> None:
    import warnings

    import sim

    for stem, (function, scenario, kwargs) in RUNS.items():
        path = HERE / f"{stem}.nc"
        if path.exists():
            print(f"{path.name}: kept", file=sys.stderr)
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = compute(function, scenario, kwargs)
        sim.write_netcdf(ds, path)
        print(f"{path.name}: written", file=sys.stderr)


if __name__ == "__main__":
    main()
