"""The one signal the scorecards app sends upwards: the reviews app (which it must not
import) sends its red-KPI alerts when scorecards were recalculated. The scorecards app's
own receiver publishes the warm dashboards (scorecards.dashboard_warm)."""

from django.dispatch import Signal

# Sent by scorecards.tasks.recalculate inside org_atomic(org), after the roll-up of these
# periods committed: organization `org`, `period_ids` (exactly the periods the run
# recomputed) and `department_ids` (the departments whose lines it recomputed in them; None:
# every one) and `pairs` (the (period id, department id) pairs it recomputed, when it was
# narrowed to them; None: every department in `period_ids`). A receiver that raises is
# logged and never fails the recalculation.
recalculated = Signal()
