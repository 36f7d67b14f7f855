"""allauth's provider registry loads `<app>.provider` of every installed app: the
single sign-on providers of accounts.sso (allauth's own provider apps are not installed)."""

from .sso.providers import provider_classes

__all__ = ["provider_classes"]
