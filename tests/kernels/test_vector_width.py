"""Which vectors the kernels are compiled for: the host's whole AVX-512
width where it has it, and a user's NUMBA_CPU_FEATURES or NUMBA_CPU_NAME
before anything of ours."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import llvmlite.binding as llvm

ROOT = Path(__file__).resolve().parents[2]
SHOW = "import sim.kernels.jit, numba; print(numba.config.CPU_NAME, numba.config.CPU_FEATURES)"


def _configured(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_CPU_")}
    out = subprocess.run([sys.executable, "-c", SHOW], env={**clean, **env, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_the_host_features_with_the_full_vector_width_where_it_has_avx512():
    name, features = _configured().split(" ", 1)
    host = llvm.get_host_cpu_features()
    assert name == "None"
    if host.get("avx512f"):
        assert features == host.flatten() + ",-prefer-256-bit"
    else:
        assert features == "None"  # Numba's own choice: the host as it is


def test_the_user_s_choice_wins():
    assert _configured(NUMBA_CPU_FEATURES="+avx2") == "None +avx2"
    assert _configured(NUMBA_CPU_NAME="generic") == "generic"  # and no features: Numba's rule
