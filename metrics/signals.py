"""The one signal metrics sends upwards: reviews fills in the computed actuals of new KPIs
without metrics importing it."""

from django.dispatch import Signal

# Sent inside the creating transaction with `organization` and `kpis` (the KPIs just
# created or adopted, indicator loaded) by every path that adds KPIs (kpi_create,
# template_apply, computed_kpis_ensure). Reviews turns the feedback already given to a
# management department into the actuals of its new internal-service-satisfaction KPI.
kpis_created = Signal()

# Sent inside the rejecting transaction with `organization`, `actual_ids` (the values just
# rejected) and `by` by metrics.services.signoff.actuals_reject. Reviews e-mails each person
# who entered one of them the reason, once per rejection.
actuals_rejected = Signal()
