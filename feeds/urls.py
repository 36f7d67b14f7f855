"""Routes of the data feed pages (under /o/<slug>/, perfhub/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("feeds/", views.feed_list, name="feed_list"),
    path("feeds/new/", views.feed_create, name="feed_create"),
    path("feeds/addresses/", views.allowed_host_list, name="allowed_host_list"),
    path(
        "feeds/addresses/<int:pk>/delete/",
        views.allowed_host_delete,
        name="allowed_host_delete",
    ),
    path("feeds/<int:pk>/", views.feed_detail, name="feed_detail"),
    path("feeds/<int:pk>/edit/", views.feed_edit, name="feed_edit"),
    path("feeds/<int:pk>/run/", views.feed_run, name="feed_run"),
    path("feeds/<int:pk>/dry-run/", views.feed_dry_run, name="feed_dry_run"),
    path("feeds/<int:pk>/delete/", views.feed_delete, name="feed_delete"),
]
