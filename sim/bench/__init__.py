"""``sim bench``: the engine's speed, start-up and memory, against baselines
and floors measured in the same run.

The baselines and floors are modules of this package: ``numpy_model`` (NumPy
vectorized), ``naive_numba`` (a plain Numba transcription), ``squiggle_model``
(squigglepy, optional), ``floors`` (the draws alone, the model alone), and the
fresh-process probes ``startup`` and ``memory``; ``workload`` is the scenario
they share. This module runs them, checks each result against the engine's,
computes the ratios and the targets, and renders a table and a JSON report
(schema :data:`SCHEMA`). ``benchmarks/`` in the source tree runs the same
comparisons as a pytest-benchmark suite.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import platform
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..atomic import write_bytes
from ..choices import BENCH_PARTS
from ..errors import SimError

__all__ = ["BENCHMARKS", "SCHEMA", "Report", "Settings", "format_table", "machine_info", "ratios",
           "run_benchmarks", "targets", "write_json"]

SCHEMA = "sim-bench/1"

#: Names of the rate benchmarks, in table order, with what they measure.
BENCHMARKS = {
    "engine": "engine, sim.engine.reducer.reduce",
    "engine_api": "engine, sim.run",
    "naive_numba": "naive Numba transcription",
    "rng_floor": "random-number floor (draws only)",
    "arithmetic_floor": "arithmetic floor (model only)",
    "numpy": "NumPy vectorized",
    "squigglepy": "squigglepy vectorized",
}


@dataclass
class Settings:
    """What one ``sim bench`` run measures."""

    quick: bool = False
    sizes: tuple[int, ...] = (1_000_000, 10_000_000)  # scenarios for the Numba rates
    threads: tuple[int, ...] = (1, 2)
    repeat: int = 2  # best of
    numpy_n: int = 1_000_000
    squigglepy_n: int = 1_000_000
    memory_sizes: tuple[int, ...] = (1_000_000, 10_000_000, 100_000_000)
    startup: bool = True
    cli_n: int = 1_000_000
    seed: int = 0
    skip: tuple[str, ...] = ()

    @classmethod
    def make(cls, quick: bool = False, sizes=None, threads=None, repeat=None,
             skip=()) -> Settings:
        """Defaults of the full run, or of ``--quick`` (1e6 only, fewer repeats,
        smaller NumPy and squigglepy runs, memory at 1e6 only)."""
        s = cls(quick=quick)
        if quick:
            s.sizes, s.repeat, s.numpy_n, s.squigglepy_n = (1_000_000,), 2, 200_000, 100_000
            s.memory_sizes = (1_000_000,)
        if sizes:
            s.sizes = tuple(sorted({int(n) for n in sizes}))
            s.numpy_n = min(s.numpy_n, max(s.sizes))
            s.squigglepy_n = min(s.squigglepy_n, max(s.sizes))
        if threads:
            s.threads = tuple(sorted({int(t) for t in threads}))
        if repeat is not None:
            s.repeat = max(1, int(repeat))
        unknown = set(skip) - SKIPPABLE
        if unknown:
            raise SimError(f"--skip: unknown part(s) {sorted(unknown)}; choose from {sorted(SKIPPABLE)}")
        s.skip = tuple(sorted(set(skip)))
        if "memory" in s.skip:
            s.memory_sizes = ()
        if "startup" in s.skip:
            s.startup = False
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
        "squigglepy": _version_of("squigglepy"),
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
    startup: dict[str, float] | None = None
    memory: list[dict[str, float]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    date: str = ""

    # ---------------------------------------------------------------- lookup
    def rate(self, name: str, threads: int | None = None, n: int | None = None) -> dict | None:
        """The rate record of ``name`` (largest ``n`` if not given)."""
        rows = [r for r in self.rates if r["benchmark"] == name
                and (threads is None or r["threads"] == threads) and (n is None or r["n"] == n)]
        return max(rows, key=lambda r: r["n"]) if rows else None

    def ratio(self, name: str, other: str, threads: int, other_threads: int | None = None,
              n: int | None = None) -> float | None:
        a = self.rate(name, threads, n)
        b = self.rate(other, threads if other_threads is None else other_threads,
                      None if other_threads is not None else (a or {}).get("n"))
        if a is None or b is None:
            return None
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
            "breakdown_us": breakdown(self),
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

    from . import floors, memory, naive_numba, numpy_model, squiggle_model, startup, workload

    report = Report(command=command, settings=settings,
                    date=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    sc = workload.scenario()
    plan = workload.plan(sc)
    seed = settings.seed
    max_threads = numba.config.NUMBA_NUM_THREADS
    threads = [t for t in settings.threads if 1 <= t <= max_threads]
    for t in sorted(set(settings.threads) - set(threads)):
        report.notes.append(f"{t} threads not measured: Numba has {max_threads} (NUMBA_NUM_THREADS)")
    skip = set(settings.skip)

    def check(name: str, problem: str | None, **where) -> bool:
        report.checks.append({"benchmark": name, **where, "ok": problem is None,
                              "detail": problem or "agrees with the engine"})
        if problem is not None:
            log(f"  CHECK FAILED: {name}: {problem}")
        return problem is None

    def record(name: str, t: int, n: int, fn: Callable[..., Any], *args):
        seconds, result = workload.best_time(lambda: fn(*args), settings.repeat)
        row = {"benchmark": name, "threads": t, "n": n, "seconds": seconds,
               "per_second": n / seconds}
        report.rates.append(row)
        log(f"  {BENCHMARKS[name]:<36} {t} thread{'s' if t > 1 else ' '} "
            f"n={n:.0e}: {n / seconds / 1e6:8.3f} M/s")
        return result

    engine_at: dict[int, Any] = {}  # the engine's summary per n (thread-invariant)

    def engine_summary(n: int):
        if n not in engine_at:
            engine_at[n] = workload.engine_summary(plan, seed, n)
        return engine_at[n]

    # Compile everything first: compile time is measured separately.
    log("compiling kernels (excluded from rates)")
    workload.engine_summary(plan, seed, 1000)
    if "naive" not in skip:
        naive_numba.run(plan, seed, 1000)
    if "floors" not in skip:
        floors.draws_run(plan, seed, 1000)
        pre = floors.predraw(plan, seed)
        floors.model_run(plan, pre, 1000)
        check("rng_floor", floors.draws_check(plan, sc, seed))
        check("arithmetic_floor", floors.model_check(plan, pre))

    threads_before = numba.get_num_threads()
    try:
        for t in threads:
            numba.set_num_threads(t)
            for n in settings.sizes:
                log(f"{t} thread{'s' if t > 1 else ''}, {n:.0e} scenarios")
                red = record("engine", t, n, workload.engine_summary, plan, seed, n)
                want = engine_at.setdefault(n, red)
                check("engine", None if _identical(red, want) else
                      "result depends on the thread count", threads=t, n=n)
                ds = record("engine_api", t, n, _api_run, sc, seed, n)
                check("engine_api", None if _close(ds.roi_mean.values, want.roi_mean, 0.0)
                      else "sim.run differs from sim.engine.reducer.reduce", threads=t, n=n)
                if "naive" not in skip:
                    got = record("naive_numba", t, n, naive_numba.run, plan, seed, n)
                    check("naive_numba", workload.same_means(got, want, 1e-9), threads=t, n=n)
                if "floors" not in skip:
                    sums = record("rng_floor", t, n, floors.draws_run, plan, seed, n)
                    if not math.isfinite(float(sums.sum())):
                        check("rng_floor", "non-finite draws", threads=t, n=n)
                    record("arithmetic_floor", t, n, floors.model_run, plan, pre, n)
            if t == 1:
                if "numpy" not in skip:
                    n = settings.numpy_n
                    log(f"NumPy baseline, {n:.0e} scenarios")
                    got = record("numpy", 1, n, numpy_model.run, sc, seed, n)
                    check("numpy", numpy_model.check_on_engine_draws(sc), on="engine's own draws")
                    check("numpy", workload.same_distribution(got, engine_summary(n)), n=n)
                if "squigglepy" not in skip:
                    n = settings.squigglepy_n
                    if squiggle_model.available():
                        log(f"squigglepy, {n:.0e} scenarios")
                        got = record("squigglepy", 1, n, squiggle_model.run, sc, seed, n)
                        check("squigglepy", workload.same_distribution(got, engine_summary(n)), n=n)
                    else:
                        report.notes.append("squigglepy not installed: not measured "
                                            "(pip install squigglepy, or the 'bench' extra)")
    finally:
        numba.set_num_threads(threads_before)

    if settings.startup:
        log("compile and start-up (fresh processes, empty then warm Numba cache)")
        report.startup = startup.measure(f"{settings.cli_n:.0e}", repeat=settings.repeat)
    for n in settings.memory_sizes:
        log(f"peak memory, {n:.0e} scenarios (fresh process)")
        report.memory.append(memory.measure(n))

    report.machine = machine_info()
    report.machine["load_average_before"] = list(load_before) if load_before else None
    return report


def _api_run(sc, seed: int, n: int):
    from ..api import run

    return run(sc, n_scenarios=n, seed=seed)


def _identical(a, b) -> bool:
    import numpy as np

    return bool(np.array_equal(a.roi_mean, b.roi_mean) and np.array_equal(a.prob_loss, b.prob_loss))


def _close(a, b, rtol: float) -> bool:
    import numpy as np

    return bool(np.allclose(a, b, rtol=rtol, atol=0.0))


# ------------------------------------------------------------------ derived
def ratios(report: Report) -> list[dict[str, Any]]:
    """Engine rate / other rate: against the baselines and the floors."""
    out = []
    s = report.settings
    for t in s.threads:
        for other in ("naive_numba", "rng_floor", "arithmetic_floor"):
            for n in s.sizes:
                r = report.ratio("engine", other, t, n=n)
                if r is not None:
                    out.append({"engine_threads": t, "against": other, "against_threads": t,
                                "n": n, "ratio": r})
        for other in ("numpy", "squigglepy"):
            r = report.ratio("engine", other, t, other_threads=1)
            if r is not None:
                out.append({"engine_threads": t, "against": other, "against_threads": 1,
                            "n": report.rate("engine", t)["n"], "ratio": r})
    return out


def breakdown(report: Report) -> list[dict[str, Any]]:
    """Microseconds per scenario: engine, draws, model, and the rest
    (reduction and orchestration), at each thread count and n."""
    rows = []
    for r in report.rates:
        if r["benchmark"] != "engine":
            continue
        draws = report.rate("rng_floor", r["threads"], r["n"])
        model = report.rate("arithmetic_floor", r["threads"], r["n"])
        us = lambda row: 1e6 / row["per_second"] if row else None
        row = {"threads": r["threads"], "n": r["n"], "engine": us(r), "draws": us(draws),
               "model": us(model)}
        row["rest"] = (row["engine"] - row["draws"] - row["model"]
                       if draws and model else None)
        rows.append(row)
    return rows


def targets(report: Report) -> list[dict[str, Any]]:
    """The issue's targets: value, threshold and pass (None: not measured)."""
    out = []
    top = max(report.settings.threads)

    def add(name, value, threshold, higher_is_better=True, unit="x", note=""):
        ok = None if value is None else (value >= threshold if higher_is_better else value <= threshold)
        out.append({"target": name, "value": value, "threshold": threshold, "unit": unit,
                    "ok": ok, "note": note})

    add(f"engine at {top} threads >= 15x NumPy at 1 thread",
        report.ratio("engine", "numpy", top, other_threads=1), 15.0)
    add(f"engine at {top} threads >= 10x squigglepy vectorized",
        report.ratio("engine", "squigglepy", top, other_threads=1), 10.0)
    for t in report.settings.threads:
        add(f"engine >= 2x naive Numba, {t} thread{'s' if t > 1 else ''}",
            report.ratio("engine", "naive_numba", t), 2.0)
    for t in report.settings.threads:
        r = report.ratio("engine", "rng_floor", t)
        add(f"engine within 2x of the random-number floor, {t} thread{'s' if t > 1 else ''}",
            None if r is None else 1.0 / r, 2.0, higher_is_better=False,
            note="engine time / floor time")
    cli = report.startup["cli_run_s"] if report.startup else None
    add(f"sim run -n {report.settings.cli_n:.0e} end to end, warm cache < 2 s", cli, 2.0,
        higher_is_better=False, unit="s")
    by_n = {int(m["n"]): m["peak_mib"] for m in report.memory}
    growth = by_n[10**8] - by_n[10**6] if 10**8 in by_n and 10**6 in by_n else None
    add("peak memory at 1e8 within 50 MiB of 1e6", growth, 50.0, higher_is_better=False,
        unit="MiB")
    return out


# ------------------------------------------------------------------ output
def _fmt_rate(x: float) -> str:
    return f"{x / 1e6:.3f} M/s" if x >= 1e5 else f"{x / 1e3:.1f} k/s"


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
        f"workload: baseline scenario (every model size and year), seed {s.seed}, best of {s.repeat}",
        "",
        "scenarios per second",
    ]
    sizes = sorted({r["n"] for r in report.rates})
    head = f"  {'':<36} {'threads':>7}" + "".join(f"{n:>14.0e}" for n in sizes)
    lines.append(head)
    for name, label in BENCHMARKS.items():
        for t in sorted({r["threads"] for r in report.rates if r["benchmark"] == name}):
            cells = []
            for n in sizes:
                r = report.rate(name, t, n)
                cells.append(f"{_fmt_rate(r['per_second']) if r else '':>14}")
            lines.append(f"  {label:<36} {t:>7}" + "".join(cells))
    if not report.rate("squigglepy"):
        lines.append(f"  {BENCHMARKS['squigglepy']:<36} {'':>7}  not measured")

    rows = doc["breakdown_us"]
    if rows and any(r["draws"] for r in rows):
        lines += ["", "microseconds per scenario: engine = draws + model + rest (reduction, overhead)",
                  f"  {'threads':>7} {'n':>8} {'engine':>8} {'draws':>8} {'model':>8} {'rest':>8}"]
        for r in rows:
            f = lambda v: f"{v:8.3f}" if v is not None else f"{'':>8}"
            lines.append(f"  {r['threads']:>7} {r['n']:>8.0e} {f(r['engine'])} {f(r['draws'])} "
                         f"{f(r['model'])} {f(r['rest'])}")

    if doc["ratios"]:
        lines += ["", "engine rate / other rate (same run)"]
        names = {"naive_numba": "naive Numba", "rng_floor": "random-number floor",
                 "arithmetic_floor": "arithmetic floor", "numpy": "NumPy", "squigglepy": "squigglepy"}
        for r in doc["ratios"]:
            lines.append(f"  engine {r['engine_threads']} thr vs {names[r['against']]:<20} "
                         f"{r['against_threads']} thr, n={r['n']:.0e}: {r['ratio']:7.2f}x")

    if report.startup:
        st = report.startup
        lines += ["", "start-up (fresh processes)",
                  f"  first call, empty Numba cache: {st['compile_first_call_s']:6.2f} s "
                  f"(process {st['compile_process_s']:.2f} s)",
                  f"  first call, warm cache:        {st['cached_first_call_s']:6.2f} s "
                  f"(import sim {st['cached_import_s']:.2f} s, process {st['cached_process_s']:.2f} s)",
                  f"  python -m sim run -n {st['cli_run_n']:.0e} --quiet: {st['cli_run_s']:6.2f} s"]
    if report.memory:
        lines += ["", "peak memory of sim.run (fresh process, VmHWM)"]
        for mm in report.memory:
            lines.append(f"  n={mm['n']:.0e}: {mm['peak_mib']:8.1f} MiB "
                         f"(after warm-up {mm['after_warmup_mib']:.1f} MiB, run {mm['run_s']:.1f} s)")

    lines += ["", "targets"]
    for tg in doc["targets"]:
        mark = {True: "PASS", False: "FAIL", None: "----"}[tg["ok"]]
        v = "not measured" if tg["value"] is None else f"{tg['value']:.2f} {tg['unit']}"
        lines.append(f"  [{mark}] {tg['target']:<58} {v}")
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
