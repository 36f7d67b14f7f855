"""The API's one tenancy gate: every organization endpoint subclasses OrgViewSet."""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError

from perfhub.query_strings import control_character_refusal

from ..access import resolve_membership
from ..permissions import can_configure, is_member


class OrgViewSet(viewsets.GenericViewSet):
    """Resolves `org_slug` from the URL once per request (404 for non-members, exactly as for
    an organization that does not exist) and checks the role predicate of the request:
    `read_predicate` for safe methods, `write_predicate` otherwise, or
    `action_predicates[action]` when given. Then a query parameter holding a control
    character is refused (perfhub.query_strings)."""

    read_predicate = staticmethod(is_member)
    write_predicate = staticmethod(can_configure)
    action_predicates: dict = {}
    org = None
    membership = None
    schema_model = None  # for output serializers that are not ModelSerializers

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        membership = resolve_membership(request, kwargs["org_slug"], api=True)
        self.org = membership.organization
        self.membership = membership
        predicate = self.action_predicates.get(self.action)
        if predicate is None:
            safe = request.method in permissions.SAFE_METHODS
            predicate = self.read_predicate if safe else self.write_predicate
        if not predicate(membership):
            raise PermissionDenied()
        refusal = control_character_refusal(request.query_params)
        if refusal:  # NUL & co. in a query parameter: 400 naming it, before anything reads it
            raise ValidationError(refusal)

    def get_queryset(self):
        if self.schema_only:
            model = self.schema_model or self.serializer_class.Meta.model
            return model.objects.none()
        return self.scoped_queryset()

    def scoped_queryset(self):
        raise ImproperlyConfigured(f"{type(self).__name__} must define scoped_queryset()")

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["org"] = self.org
        context["membership"] = self.membership
        return context

    @property
    def schema_only(self) -> bool:
        """drf-spectacular introspects views without a request organization."""
        return getattr(self, "swagger_fake_view", False)
