"""Secrets stored in the database (chat-robot signing secrets, single sign-on client
secrets, data-feed passwords) are encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256,
from the `cryptography` library) under keys taken from the environment.

`PERFHUB_ENCRYPTION_KEYS` is a comma-separated list of Fernet keys
(`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`):
the first encrypts, every one decrypts, so a key is rotated by putting the new one first
and re-saving (`manage.py rotate_secrets` is not needed: each save re-encrypts). Without
the setting (development, tests) a key is derived from SECRET_KEY, and `check --deploy`
warns (perfhub.W010).

The field never shows a secret back: pages and the API treat these fields as write-only
(set or replace); only the code that signs or logs in reads them.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


def _derived_key() -> bytes:
    digest = hashlib.sha256(b"perfhub-secrets:" + settings.SECRET_KEY.encode()).digest()
    return base64.urlsafe_b64encode(digest)


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        fernets = [Fernet(key.encode() if isinstance(key, str) else key) for key in keys]
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(
            "PERFHUB_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes)"
        ) from exc
    return MultiFernet(fernets)


def fernet() -> MultiFernet:
    keys = tuple(k for k in getattr(settings, "PERFHUB_ENCRYPTION_KEYS", []) if k)
    return _fernet(keys or (_derived_key().decode(),))


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted: none of PERFHUB_ENCRYPTION_KEYS is the key "
            "it was encrypted with (add the old key after the new one)"
        ) from exc


class EncryptedTextField(models.TextField):
    """A text column holding a Fernet token; Python sees the plain text. "" stays "" (no
    secret set). Not searchable or orderable by its content, by design."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)


def check_encryption_keys(app_configs=None, **kwargs):
    """Deploy check: production keeps its secrets under its own keys, not SECRET_KEY's."""
    from django.core.checks import Warning as CheckWarning

    keys = [k for k in getattr(settings, "PERFHUB_ENCRYPTION_KEYS", []) if k]
    if keys:
        fernet()  # ImproperlyConfigured on a malformed key
        return []
    return [
        CheckWarning(
            "PERFHUB_ENCRYPTION_KEYS is not set: secrets stored in the database are encrypted "
            "with a key derived from SECRET_KEY.",
            hint="Set PERFHUB_ENCRYPTION_KEYS to a Fernet key (see perfhub/secrets.py).",
            id="perfhub.W010",
        )
    ]
