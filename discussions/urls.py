"""Routes of the discussion pages (under /o/<slug>/, perfhub/urls.py)."""

from django.urls import path

from .views import discussion, mention_candidates, post_delete_view, post_edit_page

urlpatterns = [
    path("discussions/", discussion, name="discussion"),
    path("discussions/mentions/", mention_candidates, name="mention_candidates"),
    path("discussions/posts/<int:pk>/edit/", post_edit_page, name="post_edit"),
    path("discussions/posts/<int:pk>/delete/", post_delete_view, name="post_delete"),
]
