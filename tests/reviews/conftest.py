"""The scorecards tests' organization, KPIs and actuals, shared with the reviews tests."""

from tests.scorecards.conftest import *  # noqa: F403
