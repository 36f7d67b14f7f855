from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api import obtain_token
from accounts.forms import SignInForm
from accounts.sso.urls import api_urlpatterns as signon_api
from accounts.sso.urls import org_urlpatterns as signon_pages
from accounts.sso.urls import urlpatterns as signon_public
from briefings.urls import urlpatterns as briefings_pages
from departments.urls import org_urlpatterns as department_pages
from discussions.urls import urlpatterns as discussions_pages
from feeds.urls import urlpatterns as feeds_pages
from grades.urls import urlpatterns as grades_pages
from messaging.urls import urlpatterns as messaging_pages
from metrics.urls import urlpatterns as metrics_pages
from orgchart.urls import urlpatterns as orgchart_pages
from reviews.urls import urlpatterns as reviews_pages
from scorecards.urls import urlpatterns as scorecards_pages

from .api import api_not_found
from .health import healthz

api_v1: list[URLPattern | URLResolver] = [
    path("auth/token/", obtain_token, name="api-token"),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("departments.api.urls")),
    path("", include("metrics.api.urls")),
    path("", include("orgchart.api.urls")),
    path("", include("scorecards.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("grades.api.urls")),
    path("", include("briefings.api.urls")),
    path("", include("discussions.api.urls")),
    path("", include(signon_api)),
    path("", include("messaging.api.urls")),
    path("", include("feeds.api.urls")),
    re_path(r"^.*$", api_not_found),
]

org_pages = [
    *department_pages,
    *metrics_pages,
    *orgchart_pages,
    *scorecards_pages,
    *grades_pages,
    *reviews_pages,
    *briefings_pages,
    *discussions_pages,
    *signon_pages,
    *messaging_pages,
    *feeds_pages,
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=SignInForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("o/<slug:slug>/", include(org_pages)),
    path("", include(signon_public)),
    path("", include("accounts.urls")),
    path("", include("departments.urls")),
]

handler400 = "perfhub.error_pages.bad_request"
