"""The Celery app. Start a worker with `make worker` and the (single) beat with `make beat`."""

import logging
import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfhub.settings")

app = Celery("perfhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
log = logging.getLogger(__name__)


@app.task(name="perfhub.ping")
def ping() -> str:
    """Answered by any live worker; /healthz uses Celery's control ping instead."""
    return "pong"


def publish(name: str, kwargs: dict, *, countdown: float | None = None) -> bool:
    """Publish a job by its name (called after the commit that recorded it). Never raises:
    with the broker down the job's row stays queued in the database and its sweeper
    publishes it again (the warning is logged). Without REDIS_URL (task_always_eager) the
    job runs here, at once."""
    try:
        if app.conf.task_always_eager:
            app.tasks[name].apply(kwargs=kwargs)
        else:
            app.send_task(name, kwargs=kwargs, countdown=countdown, retry=False)
    except Exception:  # noqa: BLE001 - broker down: the row is in the database
        log.warning("could not publish %s %s", name, kwargs, exc_info=True)
        return False
    return True
