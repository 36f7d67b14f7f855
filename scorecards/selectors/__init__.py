"""Reads of the scorecards app, one module per concern: `scorecards` (stored scorecards,
lines, runs), `dashboard` (the company dashboard), `goals`."""
