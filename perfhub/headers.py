"""Headers every answer gets on its way out (see docs/security.md):

- Content-Security-Policy (django-csp, policy in settings.CONTENT_SECURITY_POLICY) with a
  nonce of its own on every request. Scripts run only from our own files or from a tag that
  carries the nonce, so text that slipped into a page unescaped still cannot run.
- `Cache-Control: private, no-store` on everything that belongs to a signed-in person or an
  organization, so that no shared proxy or browser cache keeps a tenant's page, export or
  API answer. Static files (answered by whitenoise before this middleware) and /healthz are
  left as they are.
"""

from csp.middleware import CSPMiddleware
from django.utils.cache import patch_cache_control

TENANT_PREFIXES = ("/o/", "/api/")
UNTOUCHED_PATHS = ("/healthz",)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware with a nonce in every policy.

    django-csp puts the nonce into the header only when a template read
    `request.csp_nonce`; drawing it up front gives every page (the admin and the API's
    pages too) a policy of the same shape, with a value no other request had."""

    def process_request(self, request):
        super().process_request(request)
        self._make_nonce(request)


class PrivateCacheControlMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in request and on
    every answer under /o/ and /api/ (downloads included), whatever the view set."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path_info in UNTOUCHED_PATHS:
            return response
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if signed_in or request.path_info.startswith(TENANT_PREFIXES):
            patch_cache_control(response, private=True, no_store=True)
        return response
