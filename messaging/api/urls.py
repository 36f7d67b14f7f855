from django.urls import path

from .views import ChannelViewSet, DeliveryViewSet, RouteViewSet

P = "orgs/<slug:org_slug>/"

urlpatterns = [
    path(
        P + "channels/",
        ChannelViewSet.as_view({"get": "list", "post": "create"}),
        name="api-channels",
    ),
    path(
        P + "channels/<int:pk>/",
        ChannelViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"}),
        name="api-channel",
    ),
    path(
        P + "channels/<int:pk>/test/",
        ChannelViewSet.as_view({"post": "test"}),
        name="api-channel-test",
    ),
    path(
        P + "channel-routes/",
        RouteViewSet.as_view({"get": "retrieve", "put": "replace"}),
        name="api-channel-routes",
    ),
    path(
        P + "channel-deliveries/",
        DeliveryViewSet.as_view({"get": "list"}),
        name="api-channel-deliveries",
    ),
]
