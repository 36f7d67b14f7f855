"""Routes of the reviews pages (under /o/<slug>/, perfhub/urls.py)."""

from django.urls import path

from .views.criteria import feedback_criteria_page
from .views.feedback import feedback_page
from .views.home import entry_remind_view, org_home
from .views.influence import influence
from .views.reviews import review_detail, review_list
from .views.steps import review_steps_page

urlpatterns = [
    path("", org_home, name="org_home"),
    path("reminders/", entry_remind_view, name="entry_remind"),
    path("reviews/", review_list, name="review_list"),
    path("reviews/steps/", review_steps_page, name="review_steps"),
    path("reviews/<int:pk>/", review_detail, name="review_detail"),
    path("feedback/", feedback_page, name="feedback"),
    path("feedback/criteria/", feedback_criteria_page, name="feedback_criteria"),
    path("influence/<int:pk>/", influence, name="influence"),
]
