"""What a password change sets off: every API token and every other session of the user
ends, however the password was changed."""

from django.utils.translation import gettext as _

from perfhub.auth import user_sign_out_everywhere


class SignOutOnPasswordChange:
    """Listed in AUTH_PASSWORD_VALIDATORS for its `password_changed` hook, not as a rule:
    Django calls it after every saved `set_password` (the change and reset pages, the admin,
    `changepassword`, any service), so no path can change a password and leave a stolen
    token or session alive. The page that changed the password keeps its own session
    (`update_session_auth_hash` saves it again under a new key)."""

    def validate(self, password, user=None) -> None:
        return None

    def get_help_text(self) -> str:
        return _("Changing it signs you out everywhere and revokes your API tokens.")

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            user_sign_out_everywhere(user_id=user.pk)
