"""The Celery app. Start a worker with `make worker` and the (single) beat with `make beat`."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfhub.settings")

app = Celery("perfhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="perfhub.ping")
def ping() -> str:
    """Answered by any live worker; /healthz uses Celery's control ping instead."""
    return "pong"
