"""API-wide tests: the OpenAPI schema, the docs page, fuzzing."""

from collections import Counter

# Filled by test_fuzz, printed at the end of the run by tests/api/conftest.py.
FUZZ_STATS: dict = {"operations": 0, "cases": {}, "statuses": Counter(), "not generated": []}
