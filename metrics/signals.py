"""Sent (after commit) when periods of an organization were marked for recalculation; the
scoring jobs (reviews) listen and enqueue. The mark itself is already in the database, so a
receiver that fails (broker down) loses nothing: the reconciliation job picks it up."""

from django.dispatch import Signal

# kwargs: organization_id, period_ids
recalculation_requested = Signal()
