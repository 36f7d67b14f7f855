from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .models import EMAIL_KINDS, Department, Language, Organization, Profile, Role
from .selectors import department_list, membership_list
from .services import SLUG_UNAVAILABLE


class DepartmentForm(forms.ModelForm):
    """Edits a department; parents and managers offered are those of the same organization."""

    class Meta:
        model = Department
        fields = [
            "name",
            "name_en",
            "code",
            "kind",
            "function",
            "parent",
            "weight_in_parent",
            "managers",
            "is_active",
        ]
        widgets = {"managers": forms.CheckboxSelectMultiple}

    def __init__(self, *args, org, **kwargs):
        super().__init__(*args, **kwargs)
        self.org = org
        parents = department_list(org=org)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["managers"].queryset = (
            get_user_model()
            .objects.filter(pk__in=membership_list(org=org, active_only=True).values("user_id"))
            .order_by("username")
        )
        self.fields["managers"].required = False

    def _post_clean(self):
        # Validation happens in the service (one set of rules for forms and API).
        pass


class InvitationForm(forms.Form):
    """Invite by e-mail address or by username (the service checks that exactly one is given)."""

    email = forms.EmailField(label=_("E-mail address"), required=False, max_length=254)
    username = forms.CharField(
        label=_("or username of an existing account"), required=False, max_length=150
    )
    # The least powerful role first: an invitation never grants admin by oversight.
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.MANAGER)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class OrganizationCreateForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = ["name", "slug", "language", "currency", "fiscal_year_start_month"]
        error_messages = {"slug": {"invalid": SLUG_UNAVAILABLE, "max_length": SLUG_UNAVAILABLE}}

    def _post_clean(self):
        # Validation (and the neutral answer to a taken address) happens in the service.
        pass


class OrganizationSettingsForm(forms.ModelForm):
    class Meta:
        model = Organization
        fields = [
            "name",
            "language",
            "currency",
            "fiscal_year_start_month",
            "amber_line",
            "management_weight",
            "missing_actual_policy",
            "review_frequency",
            "reminder_days_before",
            "feedback_anonymous",
            "feedback_cooperation_kpi",
            "escalate_after_days",
        ]


class ProfileForm(forms.ModelForm):
    """The user's name (accounts.services.user_name_set saves it), email language and the
    kinds of email the user wants (unticked: turned off)."""

    given_name = forms.CharField(
        label=_("Given name"),
        max_length=150,
        required=False,
        help_text=_("For example 小明 or Anna."),
    )
    family_name = forms.CharField(
        label=_("Family name"),
        max_length=150,
        required=False,
        help_text=_("For example 王 or Schmidt. Chinese names are shown family name first."),
    )
    wanted = forms.MultipleChoiceField(
        label=_("Emails I want"),
        required=False,
        choices=EMAIL_KINDS,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Profile
        fields = ["language"]
        labels = {"language": _("Language of my emails")}
        help_texts = {"language": _("Blank: each organization's language.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [
            ("", _("The organization's language")),
            *Language.choices,
        ]
        self.initial["wanted"] = [k for k, _label in EMAIL_KINDS if self.instance.wants(k)]
        # The name first, in the order the page's language writes it (姓 before 名).
        names = ["given_name", "family_name"]
        if (get_language() or "").startswith("zh"):
            names.reverse()
        self.order_fields([*names, "language", "wanted"])
        user = getattr(self.instance, "user", None)
        if user is not None:
            self.initial["given_name"] = user.first_name
            self.initial["family_name"] = user.last_name

    def save(self, commit=True):
        wanted = set(self.cleaned_data["wanted"])
        self.instance.muted = [k for k, _label in EMAIL_KINDS if k not in wanted]
        return super().save(commit)
