"""The org-chart import's one job: e-mail new people a link to set their password."""

from celery import shared_task
from django.db import DatabaseError

from departments.jobs import OrgTask

from .emails import password_links_send


@shared_task(
    base=OrgTask,
    bind=True,
    name="orgchart.send_password_links",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(DatabaseError,),
    retry_backoff=2,
    max_retries=4,
)
def send_password_links(self, org, user_ids: list[int]) -> int:
    # Idempotent enough: a second run finds the same people; one who has set a password
    # since (usable password) is skipped.
    return password_links_send(org=org, user_ids=user_ids)
