"""Performance: Chinchilla's reducible loss, ours and the rivals', and the
deployment gap (MODEL.md sections 2, 6, 10 and 11)."""

from __future__ import annotations


from sim.kernels import vmath
from sim.kernels.jit import jit
from sim.kernels.model.params import (
    A_COEF,
    A_DATA,
    ALPHA,
    B_COEF,
    BETA,
    D_REF,
    DATA_STOCK,
    FT_BASE_TOKENS,
    FT_GAIN,
    GAP,
    KAPPA_G,
    REPEAT_HORIZON,
    RHO_G,
    RIVAL_SIZE,
)
from sim.kernels.model.scaling import effective_tokens

__all__ = ["effective_gap", "own_loss", "reducible_loss", "rival_loss"]


@jit
def reducible_loss(theta, log_n, log_tokens):
    """Chinchilla's reducible loss A/N^alpha + B/D^beta."""
    return (theta[A_COEF] * vmath.exp(-theta[ALPHA] * log_n)
            + theta[B_COEF] * vmath.exp(-theta[BETA] * log_tokens))


@jit
def _log_effective(theta, log_tokens):
    """log D_eff of a pretrained model with ``log D`` tokens (data stock)."""
    tokens = vmath.exp(log_tokens)
    if tokens <= theta[DATA_STOCK]:
        return log_tokens
    return vmath.log(effective_tokens(tokens, theta[DATA_STOCK], theta[REPEAT_HORIZON]))


@jit
def own_loss(theta, pretrain, log_n, log_x):
    """Our reducible loss in the lab. Pretraining: on ``D_eff`` tokens.
    Fine-tuning: the open base's loss (``tau_b N`` tokens) less the domain
    gain, ``(A/N^alpha + B/(tau_b N)^beta) (1 - eta)``, not data-limited."""
    if pretrain:
        log_tokens = vmath.log(theta[D_REF]) + theta[A_DATA] * log_x
        return reducible_loss(theta, log_n, _log_effective(theta, log_tokens))
    log_base = vmath.log(theta[FT_BASE_TOKENS]) + log_n
    return reducible_loss(theta, log_n, log_base) * (1.0 - theta[FT_GAIN])


@jit
def rival_loss(theta, log_n_ref):
    """Reducible loss of a (pretrained) rival model at release (year 1)."""
    log_nc = vmath.log(theta[RIVAL_SIZE])
    log_dc = vmath.log(theta[D_REF]) + theta[A_DATA] * (log_nc - log_n_ref)
    return reducible_loss(theta, log_nc, _log_effective(theta, log_dc))


@jit
def effective_gap(theta):
    """g_eff = g exp(-kappa_g rho_g): robustness spend narrows the gap."""
    return theta[GAP] * vmath.exp(-theta[KAPPA_G] * theta[RHO_G])
