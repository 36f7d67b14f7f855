"""Pages of the reviews app, one module per concern (routes in reviews/urls.py)."""
