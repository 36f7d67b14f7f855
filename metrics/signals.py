"""Signals of the metrics app, for the apps built on it (imports flow one way).

`recalculation_requested` is sent (after commit) when periods of an organization were marked
for recalculation; the scoring jobs (scorecards) listen and enqueue. The mark itself is already
in the database, so a receiver that fails (broker down) loses nothing: the reconciliation
job picks it up.

`periods_created` is sent when periods were added in bulk (no post_save for those): pages
that cache what lists periods (scorecards.dashboard_cache) listen."""

from django.dispatch import Signal

# kwargs: organization_id, period_ids
recalculation_requested = Signal()

# kwargs: organization_id
periods_created = Signal()
