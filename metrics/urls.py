"""Pages of the metrics app, mounted under /o/<slug>/. Each view module owns its routes."""

from .views import config, entry, imports, signoff

urlpatterns = [*config.urlpatterns, *entry.urlpatterns, *imports.urlpatterns, *signoff.urlpatterns]
