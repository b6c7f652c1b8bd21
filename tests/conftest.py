"""Shared test settings.

Hypothesis runs without per-example deadlines: timing on shared CI machines is noisy,
and a slow example is not a wrong one. Set HYPOTHESIS_PROFILE=thorough for a longer run.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "thorough", deadline=None, max_examples=1000, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
