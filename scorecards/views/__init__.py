"""Pages of the scorecards app, one module per concern (routes in scorecards/urls.py)."""
