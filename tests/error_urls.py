"""The site's URLs plus one view that fails, for tests/test_error_pages.py."""

from django.urls import path

from perfhub.urls import handler400  # noqa: F401
from perfhub.urls import urlpatterns as site_urlpatterns


def boom(request):
    raise RuntimeError("secret-detail-that-must-not-leak: password=hunter2")


urlpatterns = [path("boom/", boom), *site_urlpatterns]
