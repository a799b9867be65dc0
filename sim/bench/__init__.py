"""``sim bench``: the engine's speed, start-up and memory, against a NumPy
baseline measured in the same run.

What an installed user needs: the engine's rate against the NumPy baseline
(:mod:`sim.testing.numpy_model`, v1 and v2), and the fresh-process probes
``startup`` and ``memory``; ``workload`` is the v1 scenario the baseline
transcribes, and the bundled baseline is the v2 workload. This module runs
them, checks each result against the engine's, computes the ratios and the
targets, and renders a table and a JSON report (schema :data:`SCHEMA`).

The developer's instruments (the pre-SIMD kernel, the staged kernel that
splits the engine's time into draws, model and reduction, the naive Numba
and squigglepy transcriptions, the floors) live in ``benchmarks/`` in the
source tree, and ``benchmarks/compare_commits.py`` compares the engine with
any earlier version of itself.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from sim.services.atomic import write_bytes
from sim.vocab.choices import BENCH_PARTS
from sim.vocab.errors import SimError
from sim.vocab.units import rate_label

__all__ = ["BENCHMARKS", "SCHEMA", "Report", "Settings", "format_table", "machine_info", "ratios",
           "run_benchmarks", "targets", "write_json"]

SCHEMA = "sim-bench/3"

#: Names of the rate benchmarks, in table order, with what they measure.
#: Names ending in ``_v2`` run the v2 baseline scenario, the others the v1
#: workload (``workload_v1.toml``, which the baseline transcribes).
BENCHMARKS = {
    "engine": "engine, sim.engine.reducer.reduce",
    "engine_api": "engine, sim.run",
    "numpy": "NumPy vectorized",
    "engine_v2": "v2 baseline: engine",
    "numpy_v2": "v2 baseline: NumPy vectorized",
}

#: Targets of the engine's speed: (engine, baseline, threshold).
SPEED_TARGETS = (("engine", "numpy", 5.0), ("engine_v2", "numpy_v2", 5.0))
#: Start-up targets: pair name (:data:`sim.bench.startup.PAIRS`), label, at most.
STARTUP_TARGETS = (("run_1e4", "sim run -n 1e4 (warm cache) <= 2x python -c 'import numpy, xarray'", 2.0),
                   ("help", "sim --help <= 3x python -c 'import click'", 3.0))


@dataclass
class Settings:
    """What one ``sim bench`` run measures."""

    quick: bool = False
    sizes: tuple[int, ...] = (1_000_000, 10_000_000)  # scenarios for the Numba rates
    threads: tuple[int, ...] = (1, 2)
    repeat: int = 2  # best of
    numpy_n: int = 1_000_000
    memory_sizes: tuple[int, ...] = (1_000_000, 10_000_000, 100_000_000)
    rates: bool = True  # the rate table (engine and baselines)
    startup: bool = True
    compile: bool = True  # the empty-cache first call (part of the start-up probes)
    cli_n: int = 1_000_000
    pairs_repeat: int = 5  # alternating runs of each start-up pair (median)
    seed: int = 0
    skip: tuple[str, ...] = ()

    @classmethod
    def make(cls, quick: bool = False, sizes=None, threads=None, repeat=None,
             skip=()) -> Settings:
        """Defaults of the full run, or of ``--quick`` (1e6 only, fewer repeats,
        a smaller baseline run, memory at 1e6 only)."""
        s = cls(quick=quick)
        if quick:
            s.sizes, s.repeat, s.numpy_n, s.pairs_repeat = (1_000_000,), 2, 200_000, 3
            s.memory_sizes = (1_000_000,)
        if sizes:
            s.sizes = tuple(sorted({int(n) for n in sizes}))
            s.numpy_n = min(s.numpy_n, max(s.sizes))
        if threads:
            s.threads = tuple(sorted({int(t) for t in threads}))
        if repeat is not None:
            s.repeat = max(1, int(repeat))
        unknown = set(skip) - SKIPPABLE
        if unknown:
            raise SimError(f"skip={min(unknown)!r}: unknown part; choose from {sorted(SKIPPABLE)}")
        s.skip = tuple(sorted(set(skip)))
        if "memory" in s.skip:
            s.memory_sizes = ()
        if "startup" in s.skip:
            s.startup = False
        if "compile" in s.skip:
            s.compile = False
        if "rates" in s.skip:
            s.rates = False
        return s


SKIPPABLE = set(BENCH_PARTS)


def machine_info() -> dict[str, Any]:
    import numba
    import numpy
    import scipy

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        if names:
            cpu = names[0]
    except OSError:
        pass
    try:
        layer = numba.threading_layer()
    except ValueError:  # no parallel kernel has run yet
        layer = None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu_model": cpu,
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "threading_layer": layer,
        "numba": numba.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "dask": _version_of("dask"),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def _version_of(package: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return None


@dataclass
class Report:
    """Everything one run measured; ``to_json`` gives the JSON document."""

    command: str
    settings: Settings
    machine: dict[str, Any] = field(default_factory=dict)
    rates: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    startup: dict[str, Any] | None = None
    memory: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    date: str = ""

    # ---------------------------------------------------------------- lookup
    def rate(self, name: str, threads: int | None = None, n: int | None = None) -> dict | None:
        """The rate record of ``name`` (largest ``n`` if not given)."""
        rows = [r for r in self.rates if r["benchmark"] == name
                and (threads is None or r["threads"] == threads) and (n is None or r["n"] == n)]
        return max(rows, key=lambda r: r["n"]) if rows else None

    def pair(self, name: str, other: str, threads: int, other_threads: int | None = None,
             n: int | None = None) -> tuple[dict, dict] | None:
        """The rate records of ``name`` and ``other`` to compare: ``other``'s
        if it was timed in turn with ``name`` at these threads, else at the
        same ``n`` if both were measured there (the largest such, or ``n``),
        else each at its largest ``n``; None if either is missing."""
        ot = threads if other_threads is None else other_threads
        if n is None and ot == threads:
            paired = [r for r in self.rates if r["benchmark"] == other and r["threads"] == ot
                      and r.get("paired_with") == name]
            if paired:
                n = max(r["n"] for r in paired)
        ns = {r["n"] for r in self.rates if r["benchmark"] == name and r["threads"] == threads}
        common = ns & {r["n"] for r in self.rates if r["benchmark"] == other and r["threads"] == ot}
        if n is None and common:
            n = max(common)
        a, b = self.rate(name, threads, n), self.rate(other, ot, n)
        if n is not None and n not in common and a is not None:
            b = self.rate(other, ot)
        if a is None or b is None:
            return None
        return a, b

    def ratio(self, name: str, other: str, threads: int, other_threads: int | None = None,
              n: int | None = None) -> float | None:
        """Rate of ``name`` over rate of ``other`` (see :meth:`pair`)."""
        rows = self.pair(name, other, threads, other_threads, n)
        if rows is None:
            return None
        a, b = rows
        if b.get("paired_with") == name and b["threads"] == threads and n in (None, b["n"]):
            return b["seconds"] / b["engine_seconds"]  # timed in turn: the same rounds
        return a["per_second"] / b["per_second"]

    @property
    def ok(self) -> bool:
        return all(c["ok"] for c in self.checks)

    def to_json(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "date": self.date,
            "command": self.command,
            "machine": self.machine,
            "settings": asdict(self.settings),
            "rates": self.rates,
            "ratios": ratios(self),
            "startup": self.startup,
            "memory": self.memory,
            "checks": self.checks,
            "targets": targets(self),
            "notes": self.notes,
            "ok": self.ok,
        }


def run_benchmarks(settings: Settings, command: str = "sim bench",
                   log: Callable[[str], None] = lambda s: None) -> Report:
    """Measure everything ``settings`` asks for (see :class:`Settings`)."""
    import numba

    from sim.scenario.load import load_scenario
    from sim.bench import memory
    from sim.bench import startup
    from sim.bench import workload

    report = Report(command=command, settings=settings,
                    date=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    max_threads = numba.config.NUMBA_NUM_THREADS
    threads = [t for t in settings.threads if 1 <= t <= max_threads]
    for t in sorted(set(settings.threads) - set(threads)):
        report.notes.append(f"{t} threads not measured: Numba has {max_threads} (NUMBA_NUM_THREADS)")
    skip = set(settings.skip)
    sc = workload.scenario()
    plans = {"v1": workload.plan(sc)}
    scenarios = {"v1": sc}
    if "v2" not in skip:
        scenarios["v2"] = load_scenario("baseline")
        plans["v2"] = workload.plan(scenarios["v2"])

    def check(name: str, problem: str | None, **where) -> bool:
        report.checks.append({"benchmark": name, **where, "ok": problem is None,
                              "detail": problem or "agrees with the engine"})
        if problem is not None:
            log(f"  CHECK FAILED: {name}: {problem}")
        return problem is None

    def keep(name: str, t: int, n: int, seconds: float) -> None:
        """Record a timing; a rate measured again keeps its best time."""
        for row in report.rates:
            if (row["benchmark"], row["threads"], row["n"]) == (name, t, n):
                if seconds < row["seconds"]:
                    row.update(seconds=seconds, per_second=n / seconds)
                return
        report.rates.append({"benchmark": name, "workload": "v2" if name.endswith("_v2") else "v1",
                             "threads": t, "n": n, "seconds": seconds, "per_second": n / seconds})

    def show(name: str, t: int, n: int) -> None:
        per_s = report.rate(name, t, n)["per_second"]
        log(f"  {BENCHMARKS[name]:<36} {t} thread{'s' if t > 1 else ' '} "
            f"n={n:.0e}: {per_s / 1e6:8.3f} M/s")

    def record(name: str, t: int, n: int, fn: Callable[..., Any], *args):
        seconds, result = workload.best_time(lambda: fn(*args), settings.repeat)
        keep(name, t, n, seconds)
        show(name, t, n)
        return result

    def alternate(t: int, n: int, engine: str, engine_fn: Callable[[], Any], other: str,
                  other_fn: Callable[[], Any]) -> tuple[Any, Any]:
        """Time the engine and the rate it is compared with in turn, ``repeat``
        rounds, so that the machine's drift hits both alike. The other's
        record keeps the engine's best time of the same rounds
        (``engine_seconds``), from which :meth:`Report.ratio` takes the ratio;
        the engine's own record keeps its best time of any run."""
        best_e = best_o = math.inf
        for _ in range(max(1, settings.repeat)):
            seconds, got_e = workload.best_time(engine_fn, 1)
            best_e = min(best_e, seconds)
            seconds, got_o = workload.best_time(other_fn, 1)
            best_o = min(best_o, seconds)
        keep(engine, t, n, best_e)
        keep(other, t, n, best_o)
        report.rate(other, t, n).update(paired_with=engine, engine_seconds=best_e)
        show(engine, t, n)
        show(other, t, n)
        return got_e, got_o

    if settings.rates:
        _measure_rates(settings, threads, plans, scenarios, record, alternate, check, log)

    if settings.startup:
        log("start-up (fresh processes, " + ("empty then warm Numba cache)" if settings.compile
                                             else "the warm Numba cache)"))
        report.startup = startup.measure(f"{settings.cli_n:.0e}", repeat=settings.repeat,
                                         pairs_repeat=settings.pairs_repeat, cold=settings.compile)
    if settings.memory_sizes:  # a first process fills the Numba cache if it is stale, so
        memory.measure(1000)      # that no measured process compiles (compiling peaks high)
    for n in settings.memory_sizes:
        log(f"peak memory, {n:.0e} scenarios (fresh process)")
        report.memory.append(memory.measure(n))

    report.machine = machine_info()
    report.machine["load_average_before"] = list(load_before) if load_before else None
    return report


def _measure_rates(settings: Settings, threads, plans, scenarios, record, alternate, check,
                   log) -> None:
    """The rate table: the engine at each thread count and size, and the
    NumPy baselines timed in turn with it (see :func:`run_benchmarks`)."""
    import numba

    from sim.bench import workload
    from sim.testing import numpy_model

    seed, skip, sc = settings.seed, set(settings.skip), scenarios["v1"]
    engine_at: dict[tuple[str, int], Any] = {}  # the engine's summary per (workload, n)

    # Compile everything first: compile time is measured separately.
    log("compiling kernels (excluded from rates)")
    for p in plans.values():
        workload.engine_summary(p, seed, 1000)
    if "numpy" not in skip:  # first calls import and set up what the baseline uses
        numpy_model.run(sc, seed, 2000)
        if "v2" in plans:
            numpy_model.run_v2(scenarios["v2"], seed, 2000)

    threads_before = numba.get_num_threads()
    try:
        for t in threads:
            numba.set_num_threads(t)
            for wl, p in plans.items():
                sfx = "" if wl == "v1" else "_v2"
                for n in settings.sizes:
                    log(f"{wl}: {t} thread{'s' if t > 1 else ''}, {n:.0e} scenarios")
                    red = record("engine" + sfx, t, n, workload.engine_summary, p, seed, n)
                    want = engine_at.setdefault((wl, n), red)
                    check("engine" + sfx, None if _identical(red, want) else
                          "result depends on the thread count", threads=t, n=n)
                    if wl == "v1":
                        ds = record("engine_api", t, n, _api_run, sc, seed, n)
                        check("engine_api", None if _close(ds.roi_mean.values, want.roi_mean, 0.0)
                              else "sim.run differs from sim.engine.reducer.reduce", threads=t, n=n)
            if t == 1 and "numpy" not in skip:
                n = settings.numpy_n
                for wl, p in plans.items():
                    sfx = "" if wl == "v1" else "_v2"
                    run_np = numpy_model.run if wl == "v1" else numpy_model.run_v2
                    log(f"{wl}: engine and NumPy baseline in turn, {n:.0e} scenarios")
                    got, numpy_got = alternate(1, n, "engine" + sfx,
                                               partial(workload.engine_summary, p, seed, n),
                                               "numpy" + sfx, partial(run_np, scenarios[wl], seed, n))
                    want = engine_at.setdefault((wl, n), got)
                    check("engine" + sfx, None if _identical(got, want) else
                          "result depends on the thread count", threads=1, n=n)
                    on_draws = (numpy_model.check_on_engine_draws if wl == "v1"
                                else numpy_model.check_on_engine_draws_v2)
                    check("numpy" + sfx, on_draws(scenarios[wl]), on="engine's own draws")
                    check("numpy" + sfx, workload.same_distribution(numpy_got, want), n=n)
    finally:
        numba.set_num_threads(threads_before)


def _api_run(sc, seed: int, n: int):
    from sim.analyses.run import run

    return run(sc, n_scenarios=n, seed=seed)


def _identical(a, b) -> bool:
    import numpy as np

    return bool(np.array_equal(a.roi_mean, b.roi_mean) and np.array_equal(a.prob_loss, b.prob_loss))


def _close(a, b, rtol: float) -> bool:
    import numpy as np

    return bool(np.allclose(a, b, rtol=rtol, atol=0.0))


# ------------------------------------------------------------------ derived
#: (engine, other, other at one thread): the ratios the report lists.
_RATIOS = (("engine", "numpy", True), ("engine_v2", "numpy_v2", True))


def ratios(report: Report) -> list[dict[str, Any]]:
    """Engine rate / other rate, on the same workload: against the
    vectorized baseline at one thread."""
    out = []
    for t in report.settings.threads:
        for engine, other, one in _RATIOS:
            rows = report.pair(engine, other, t, other_threads=1 if one else None)
            if rows is not None:
                a, b = rows
                out.append({"engine": engine, "engine_threads": t, "against": other,
                            "against_threads": b["threads"], "n": a["n"], "against_n": b["n"],
                            "ratio": report.ratio(engine, other, t, b["threads"]),
                            "timed_in_turn": b.get("paired_with") == engine and b["threads"] == t})
    return out


def targets(report: Report) -> list[dict[str, Any]]:
    """The targets of the speed issue: value, threshold and pass (None: not
    measured)."""
    out = []

    def add(name, value, threshold, higher_is_better=True, unit="x", note=""):
        ok = None if value is None else (value >= threshold if higher_is_better else value <= threshold)
        out.append({"target": name, "value": value, "threshold": threshold, "unit": unit,
                    "ok": ok, "note": note})

    for engine, other, threshold in SPEED_TARGETS:
        wl = "v2 baseline" if engine.endswith("_v2") else "v1 workload"
        value = report.ratio(engine, other, 1, other_threads=1)
        add(f"engine at 1 thread >= {threshold:g}x NumPy at 1 thread, {wl}", value, threshold)
    pairs = (report.startup or {}).get("pairs", {})
    for pair, label, at_most in STARTUP_TARGETS:
        p = pairs.get(pair)
        add(label, p["ratio"] if p else None, at_most, higher_is_better=False,
            note=f"{p['command_s']:.2f} s vs {p['baseline_s']:.2f} s (medians)" if p else "")
    by_n = {int(m["n"]): m["peak_mib"] for m in report.memory}
    growth = by_n[10**8] - by_n[10**6] if 10**8 in by_n and 10**6 in by_n else None
    add("peak memory at 1e8 within 50 MiB of 1e6", growth, 50.0, higher_is_better=False,
        unit="MiB")
    return out


# ------------------------------------------------------------------ output
def format_table(report: Report) -> str:
    """The human-readable report ``sim bench`` prints."""
    doc = report.to_json()
    m = doc["machine"]
    s = report.settings
    lines = [
        f"{report.command}   ({report.date})",
        f"machine: {m.get('cpu_model')}, {m.get('usable_cores')} cores, numba {m.get('numba')} "
        f"({m.get('threading_layer')}), numpy {m.get('numpy')}, python {m.get('python')}; "
        f"load average before/after: {_load(m.get('load_average_before'))} / {_load(m.get('load_average'))}",
        f"workloads: v1 = sim/bench/workload_v1.toml, v2 = the bundled baseline scenario "
        f"(every model size and year); seed {s.seed}, best of {s.repeat}",
    ]
    sizes = sorted({r["n"] for r in report.rates})
    if report.rates:
        lines += ["", "scenarios per second",
                  f"  {'':<36} {'threads':>7}" + "".join(f"{n:>14.0e}" for n in sizes)]
    for name, label in BENCHMARKS.items():
        for t in sorted({r["threads"] for r in report.rates if r["benchmark"] == name}):
            cells = []
            for n in sizes:
                r = report.rate(name, t, n)
                cells.append(f"{rate_label(r['per_second']) if r else '':>14}")
            lines.append(f"  {label:<36} {t:>7}" + "".join(cells))

    if doc["ratios"]:
        lines += ["", "engine rate / other rate (same run, same workload)"]
        for r in doc["ratios"]:
            label = BENCHMARKS[r["against"]].replace("v2 baseline: ", "")
            wl = "v2" if r["engine"].endswith("_v2") else "v1"
            lines.append(f"  {wl}: engine {r['engine_threads']} thr n={r['n']:.0e} vs {label:<26} "
                         f"{r['against_threads']} thr n={r['against_n']:.0e}: {r['ratio']:7.2f}x"
                         + ("  (timed in turn)" if r["timed_in_turn"] else ""))

    if report.startup:
        st = report.startup
        lines += ["", "start-up (fresh processes)"]
        if "compile_first_call_s" in st:
            lines.append(f"  first call, empty Numba cache: {st['compile_first_call_s']:6.2f} s "
                         f"(process {st['compile_process_s']:.2f} s)")
        lines += [f"  first call, warm cache:        {st['cached_first_call_s']:6.2f} s "
                  f"(import sim {st['cached_import_s']:.2f} s, process {st['cached_process_s']:.2f} s)",
                  f"  python -m sim run -n {st['cli_run_n']:.0e} --quiet: {st['cli_run_s']:6.2f} s"]
        for pair in st.get("pairs", {}).values():
            lines.append(f"  {pair['command']}: {pair['command_s']:.2f} s vs {pair['baseline']}: "
                         f"{pair['baseline_s']:.2f} s (medians, alternating): {pair['ratio']:.2f}x")
    if report.memory:
        lines += ["", "peak memory of sim.run (fresh process, VmHWM)"]
        for mm in report.memory:
            lines.append(f"  n={mm['n']:.0e}: {mm['peak_mib']:8.1f} MiB "
                         f"(after warm-up {mm['after_warmup_mib']:.1f} MiB, run {mm['run_s']:.1f} s)")

    lines += ["", "targets"]
    for tg in doc["targets"]:
        mark = {True: "PASS", False: "FAIL", None: "----"}[tg["ok"]]
        v = "not measured" if tg["value"] is None else f"{tg['value']:.2f} {tg['unit']}"
        lines.append(f"  [{mark}] {tg['target']:<66} {v}")
        if tg["note"] and tg["ok"] is False:
            lines.append(f"         {tg['note']}")
    bad = [c for c in report.checks if not c["ok"]]
    lines += ["", f"checks: {len(report.checks) - len(bad)} of {len(report.checks)} agree with the engine"]
    for c in bad:
        lines.append(f"  FAILED {c['benchmark']}: {c['detail']}")
    for note in report.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _load(v) -> str:
    return "n/a" if not v else ", ".join(f"{x:.2f}" for x in v)


def write_json(report: Report, path: str | os.PathLike, *, overwrite: bool = True) -> Path:
    text = json.dumps(report.to_json(), indent=2, default=_json_default) + "\n"
    return write_bytes(path, text.encode(), overwrite=overwrite)


def _json_default(x):
    try:
        return x.item()  # NumPy scalars
    except AttributeError:
        raise TypeError(f"not JSON serialisable: {type(x).__name__}") from None
