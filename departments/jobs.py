"""The one place where background jobs resolve their organization.

A task that works on one tenant subclasses `OrgTask`: it is called with
`organization_id=<id>` (ids only, never model instances) and its `run` receives the
Organization as its first argument. A task for an organization that no longer exists
does nothing.

The database is told the organization too: by default the task runs in one transaction in
which row-level security shows that organization's rows only (perfhub.tenancy.org_atomic).
A task that must commit in steps (reviews.recalculate: its attempt counter has to survive a
failed roll-up) sets `one_transaction = False` and opens each step with `org_atomic(org)`;
outside one, its queries see no tenant rows at all."""

import logging

from celery import Task

from perfhub.tenancy import org_atomic

from .models import Organization

log = logging.getLogger(__name__)


class OrgTask(Task):
    abstract = True
    # apply_async checks arguments against run(); organization_id is consumed by __call__.
    typing = False
    one_transaction = True

    def __call__(self, *args, organization_id: int, **kwargs):
        org = Organization.objects.filter(pk=organization_id).first()
        if org is None:
            log.info("%s: organization %s is gone; nothing to do", self.name, organization_id)
            return None
        if not self.one_transaction:
            return super().__call__(org, *args, **kwargs)
        with org_atomic(org):
            return super().__call__(org, *args, **kwargs)
