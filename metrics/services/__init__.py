"""Every write to indicators, templates, KPIs, periods and actuals (one module per concept)."""
