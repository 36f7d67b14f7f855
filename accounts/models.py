"""Sign-in state a user carries between requests: API tokens and browser sessions.

Neither is a tenant table (no `organization_id` column, so no row-level security): both are
read while authenticating, before any organization is known. A token's optional organization
is `scope_organization`, checked by the API's organization gate (departments.access)."""

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken
from knox.settings import CONSTANTS


class ApiToken(AbstractAuthToken):
    """An API token (django-rest-knox): only the SHA-512 digest of the key is stored, with
    the key's first characters to find the row. It expires, and may be limited to one
    organization. The key itself is shown once, when the token is made."""

    # An id of its own (knox keys the row by digest), for the revoke link on the profile.
    id = models.BigAutoField(primary_key=True)
    digest = models.CharField(max_length=CONSTANTS.DIGEST_LENGTH, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, blank=True)
    scope_organization = models.ForeignKey(
        "departments.Organization",
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: every organization of the user."),
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        indexes = [models.Index(fields=["user", "expiry"])]

    def __str__(self) -> str:
        return f"{self.name or self.token_key} ({self.user})"


class UserSession(AbstractBaseSession):
    """Django's database session with the signed-in user's id beside it, so a user's
    sessions are found and ended with one query (accounts.sessions.SessionStore)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore

    class Meta(AbstractBaseSession.Meta):
        # The stubs type the base Meta's names as str; Django takes lazy text too.
        verbose_name = _("session")  # type: ignore[assignment]
        verbose_name_plural = _("sessions")  # type: ignore[assignment]
