"""Positions of the scenario's parameters in the kernel's vector ``theta``.

The layout is :data:`sim.vocab.registry.PARAMETERS`; these module constants are
folded into the compiled kernels.
"""

from __future__ import annotations

from sim.vocab.registry import index as _i

__all__ = ["ALPHA", "A_COEF", "A_DATA", "BETA", "B_COEF", "B_COMP", "CLUSTER_GPUS", "COMPLIANCE",
           "COMPLIANCE_THRESHOLD", "COMPUTE_RULES", "DATA_STOCK", "D_REF", "E_LOSS",
           "FINETUNE", "FT_BASE_TOKENS", "FT_COMPUTE_SHARE", "FT_DATA_PRICE", "FT_FIXED",
           "FT_GAIN", "FT_LICENSE", "FT_TOKENS", "F_EXP", "F_PEAK", "GAP", "GROWTH", "HYPE",
           "KAPPA", "KAPPA_G", "LEARNING_RATE", "K_REF", "LAMBDA0", "OVERHEAD", "POOL", "PREMIUM", "PRETRAIN",
           "PRICE_DECLINE", "PRICE_SENSITIVITY", "PROGRESS", "P_DATA", "P_HOUR", "P_TOKEN",
           "REPEAT_HORIZON", "RHO", "RHO_G", "RIVALS", "RIVAL_SIZE", "ROUTES", "RULE_6ND",
           "RULE_POWER", "R_DISC", "R_REF", "SECONDS_PER_HOUR", "SECONDS_PER_YEAR", "SERVE_DECLINE",
           "SERVING_FLOP_PER_PARAM", "MOE_WEIGHT", "INPUT_RATIO", "U_PREFILL", "THETA", "SEVERITY", "SHARPNESS",
           "U_SERVE", "U_TRAIN"]

R_DISC = _i("finance.discount_rate")
A_DATA = _i("scaling.data_exponent")
D_REF = _i("scaling.tokens_at_reference")
B_COMP = _i("scaling.compute_exponent")
R_REF = _i("scaling.flops_at_reference")
OVERHEAD = _i("scaling.experiment_overhead")
E_LOSS = _i("performance.irreducible_loss")
A_COEF = _i("performance.param_coefficient")
B_COEF = _i("performance.data_coefficient")
ALPHA = _i("performance.param_exponent")
BETA = _i("performance.data_exponent")
GAP = _i("performance.deployment_gap")
P_HOUR = _i("costs.gpu_hour_price")
F_PEAK = _i("costs.gpu_peak_flops")
U_TRAIN = _i("costs.training_utilization")
U_SERVE = _i("costs.serving_utilization")
SERVE_DECLINE = _i("costs.serving_cost_decline")
P_DATA = _i("costs.data_price_per_token")
K_REF = _i("costs.fixed_cost_at_reference")
F_EXP = _i("costs.fixed_cost_exponent")
RHO = _i("risk.control_share")
LAMBDA0 = _i("risk.incident_rate")
KAPPA = _i("risk.control_effectiveness")
SEVERITY = _i("risk.incident_severity")
POOL = _i("market.revenue_pool")
GROWTH = _i("market.growth")
RIVALS = _i("market.competitors")
RIVAL_SIZE = _i("market.competitor_size")
PROGRESS = _i("market.frontier_progress")
SHARPNESS = _i("market.share_sharpness")
P_TOKEN = _i("market.token_price")
PRICE_DECLINE = _i("market.token_price_decline")
HYPE = _i("market.hype")

# Model v2 (specification sections 6, 7, 10, 11).
FT_BASE_TOKENS = _i("finetune.base_tokens_per_param")
FT_TOKENS = _i("finetune.tokens")
FT_COMPUTE_SHARE = _i("finetune.compute_share")
FT_DATA_PRICE = _i("finetune.data_price_per_token")
FT_FIXED = _i("finetune.fixed_cost_at_reference")
FT_GAIN = _i("finetune.domain_gain")
FT_LICENSE = _i("finetune.license_cost")
PREMIUM = _i("market.price_premium")
PRICE_SENSITIVITY = _i("market.price_sensitivity")
DATA_STOCK = _i("scaling.data_stock")
REPEAT_HORIZON = _i("scaling.repeat_horizon")
CLUSTER_GPUS = _i("costs.cluster_gpus")
RHO_G = _i("risk.robustness_share")
KAPPA_G = _i("risk.robustness_effectiveness")
COMPLIANCE = _i("risk.compliance_cost")
COMPLIANCE_THRESHOLD = _i("risk.compliance_threshold")
LEARNING_RATE = _i("expectation.learning_rate")
# Model v3 (specification sections 13, 14).
MOE_WEIGHT = _i("performance.moe_quality_weight")
INPUT_RATIO = _i("costs.input_ratio")
U_PREFILL = _i("costs.prefill_utilization")
THETA = _i("market.price_quality_exponent")

# Structural choices, passed to the kernels as integers.
PRETRAIN = 0
FINETUNE = 1
ROUTES = {"pretrain": PRETRAIN, "finetune": FINETUNE}
RULE_POWER = 0
RULE_6ND = 1
COMPUTE_RULES = {"power": RULE_POWER, "6ND": RULE_6ND}

# Physical constants of the model (the specification).
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_YEAR = 31_557_600.0  # Julian year, specification section 10
SERVING_FLOP_PER_PARAM = 2.0  # inference ~ 2N FLOP per token (Kaplan et al.)
