"""The one place where background jobs resolve their organization.

A task that works on one tenant subclasses `OrgTask`: it is called with
`organization_id=<id>` (ids only, never model instances) and its `run` receives the
Organization as its first argument. A task for an organization that no longer exists
does nothing."""

import logging

from celery import Task

from .models import Organization

log = logging.getLogger(__name__)


class OrgTask(Task):
    abstract = True
    # apply_async checks arguments against run(); organization_id is consumed by __call__.
    typing = False

    def __call__(self, *args, organization_id: int, **kwargs):
        org = Organization.objects.filter(pk=organization_id).first()
        if org is None:
            log.info("%s: organization %s is gone; nothing to do", self.name, organization_id)
            return None
        return super().__call__(org, *args, **kwargs)
