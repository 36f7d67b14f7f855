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

from departments.models import IdentityProvider
from perfhub.secrets import EncryptedTextField
from perfhub.tenancy import TenantModel


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


class SignOnConfig(TenantModel):
    """An organization's single sign-on with one provider (accounts.sso): the application it
    registered at DingTalk, Feishu, WeCom or an OpenID Connect provider. The secret is
    encrypted at rest and never shown back (write-only in pages and API)."""

    provider = models.CharField(_("provider"), max_length=20, choices=IdentityProvider.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    name = models.CharField(
        _("button label"),
        max_length=60,
        blank=True,
        help_text=_("Shown on the sign-in button, e.g. Keycloak. Empty: the provider's name."),
    )
    client_id = models.CharField(
        _("client id"),
        max_length=200,
        help_text=_("DingTalk: Client ID (AppKey); Feishu: App ID; WeCom: Corp ID."),
    )
    client_secret = EncryptedTextField(_("client secret"), blank=True)
    server_url = models.URLField(
        _("issuer URL"),
        max_length=500,
        blank=True,
        help_text=_("OpenID Connect only: the issuer, e.g. https://sso.example.com/realms/main."),
    )
    agent_id = models.CharField(
        _("agent id"), max_length=40, blank=True, help_text=_("WeCom only: the AgentId.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("single sign-on")
        verbose_name_plural = _("single sign-on")
        ordering = ["provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "provider"], name="signon_unique_provider"
            )
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.name or str(IdentityProvider(self.provider).label)

    @property
    def has_secret(self) -> bool:
        return bool(self.client_secret)
