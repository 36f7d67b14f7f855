from django.urls import path

from . import views

# Mounted under /o/<slug>/ by perfhub.urls.
org_urlpatterns = [
    # "" (org_home, the home page) is in reviews/urls.py: it reads every app's data.
    path("settings/", views.org_settings, name="org_settings"),
    path("members/", views.member_list, name="member_list"),
    path("members/<int:pk>/", views.member_update, name="member_update"),
    path("invitations/<int:pk>/", views.invitation_revoke, name="invitation_revoke"),
    path("departments/", views.department_tree, name="department_tree"),
    path("departments/new/", views.department_create, name="department_create"),
    path("departments/<int:pk>/", views.department_edit, name="department_edit"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("orgs/", views.org_list, name="org_list"),
    path(
        "invitations/mine/<int:pk>/", views.invitation_respond_mine, name="invitation_respond_mine"
    ),
    path("invitations/<str:token>/", views.invitation_respond, name="invitation_respond"),
]
