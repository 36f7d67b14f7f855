"""The e-mail a person created by an org-chart import gets: their username and a link to
set their password (Django's password-reset token, valid PASSWORD_RESET_TIMEOUT; after
that, HR sends an invitation or the person signs in through single sign-on)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from departments.models import Membership

log = logging.getLogger(__name__)


def password_links_send(*, org, user_ids: list[int]) -> int:
    """E-mail each of these active members of the organization who has an address and no
    usable password yet a link to set one, in the organization's language. Returns how
    many were sent; one that fails is logged, the others still go."""
    members = (
        Membership.objects.for_org(org)
        .filter(user_id__in=user_ids, is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    sent = 0
    for m in members:
        user = m.user
        if not user.email or user.has_usable_password():
            continue
        link = settings.SITE_URL.rstrip("/") + reverse(
            "password_reset_confirm",
            kwargs={
                "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
                "token": default_token_generator.make_token(user),
            },
        )
        with translation.override(org.language):
            text = render_to_string(
                "orgchart/email/welcome.txt",
                {
                    "org": org,
                    "user": user,
                    "url": link,
                    "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
                },
            )
        subject, _sep, body = text.strip().partition("\n")
        try:
            send_mail(subject.strip(), body.strip() + "\n", None, [user.email])
        except Exception:  # noqa: BLE001 - one address failing must not stop the others
            log.warning("org chart: welcome e-mail to user %s not sent", user.pk, exc_info=True)
            continue
        sent += 1
    return sent
