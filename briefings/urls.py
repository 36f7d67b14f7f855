"""Routes of the briefing books (under /o/<slug>/, perfhub/urls.py)."""

from django.urls import path

from .views import briefing_download, briefing_list

urlpatterns = [
    path("briefings/", briefing_list, name="briefing_list"),
    path("briefings/<int:pk>/download.pdf", briefing_download, name="briefing_download"),
]
