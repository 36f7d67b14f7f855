from django import template
from django.utils.translation import get_language

from feeds import schedules

register = template.Library()


@register.filter
def cron_words(cron) -> str:
    """`{{ feed.schedule|cron_words }}`: the schedule in words, in the page's language."""
    return schedules.in_words(str(cron or ""), get_language() or "")
