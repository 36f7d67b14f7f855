"""Single sign-on per organization: DingTalk, Feishu, WeCom and OpenID Connect through
django-allauth's socialaccount (docs/sso.md). allauth runs the protocol (state, PKCE, code
exchange, ID token); this package supplies each organization's application (adapter), the
platforms' addresses from settings (providers), and links a sign-in to an existing member
only (services)."""
