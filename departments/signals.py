"""The signals departments sends upwards: metrics and reviews seed a new organization
(built-in indicator library and templates) without departments importing them."""

from django.dispatch import Signal

# Sent inside the creating transaction with `organization` and `by` (the creating user).
organization_created = Signal()

# Sent inside the transaction of a change that alters how scores are computed or rolled up
# (organization scoring settings, the department tree, weights, active flags), with
# `organization` and, for a change of departments, `departments` (the ids whose scores or
# rolled-up scores change: a moved department's old and new parent too; absent: all).
# Metrics marks the open periods for recalculation.
scoring_inputs_changed = Signal()

# Sent inside the transaction of department_create and department_update with
# `organization` and `department`. Metrics gives a management department the KPIs of the
# computed indicators (internal service satisfaction, SPEC §2) it must always have.
department_saved = Signal()
