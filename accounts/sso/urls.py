from django.urls import path

from . import api, views

# Public: /sso/... (before sign-in, for anyone: the organization's address is `address`,
# not `slug`, as these are not members' pages; they answer alike for a missing organization)
urlpatterns = [
    path("sso/", views.sso_find, name="sso_find"),
    path("sso/<slug:address>/", views.sso_org, name="sso_org"),
    path("sso/<slug:address>/<str:provider>/", views.sso_start, name="sso_start"),
    path("sso/<slug:address>/<str:provider>/callback/", views.sso_callback, name="sso_callback"),
]

# Under /o/<slug>/
org_urlpatterns = [
    path("settings/sign-on/", views.signon_settings, name="signon_settings"),
    path("settings/sign-on/<str:provider>/", views.signon_edit, name="signon_edit"),
    path("settings/sign-on/<str:provider>/remove/", views.signon_delete, name="signon_delete"),
]

# Under /api/v1/
api_urlpatterns = [
    path(
        "orgs/<slug:org_slug>/sign-on/",
        api.SignOnConfigViewSet.as_view({"get": "list"}),
        name="api-signon",
    ),
    path(
        "orgs/<slug:org_slug>/sign-on/<str:provider>/",
        api.SignOnConfigViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="api-signon-detail",
    ),
    path(
        "orgs/<slug:org_slug>/sign-on-policy/",
        api.PasswordPolicyViewSet.as_view({"get": "retrieve", "put": "update"}),
        name="api-signon-policy",
    ),
]
