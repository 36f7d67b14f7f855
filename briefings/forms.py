from django import forms
from django.utils.translation import gettext_lazy as _

from departments.models import Language

from .models import BriefingSchedule


class RequestForm(forms.Form):
    """Ask for the book of the page's period in a language."""

    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = BriefingSchedule
        fields = ["enabled", "working_day_after_close", "language"]
        widgets = {
            "working_day_after_close": forms.NumberInput(attrs={"min": 1, "max": 10}),
        }
