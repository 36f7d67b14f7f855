"""Password sign-in under the organizations' policy (Organization.password_sign_in)."""

from django.contrib.auth.backends import ModelBackend

from .sso.selectors import password_sign_in_refused


class PasswordPolicyBackend(ModelBackend):
    """Django's username-and-password backend, refusing a member of an organization that
    switched password sign-in off (superusers excepted, accounts.sso.selectors): the sign-in
    page and the token API then say to use single sign-on. Only after the right password,
    so the answer tells a guesser nothing. Also the backend recorded in single sign-on
    sessions (its get_user is Django's)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None and password_sign_in_refused(user=user):
            if request is not None:
                request.perfhub_password_off = True
            return None
        return user
