"""Channel messages through a real Celery worker on a Redis of its own: published after
commit, retried with backoff on the platform's rate-limit answers, sent once."""

import pytest

from messaging import services
from messaging.models import Delivery
from perfhub.celery import app as celery_app
from tests.live import start_worker, wait_for
from tests.messaging import receiver as R

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


def test_rate_limited_test_message_is_retried_by_the_worker_and_sent_once(
    api, admin, org, receiver, redis_server, point_app_at, processes, monkeypatch
):
    monkeypatch.setenv("PERFHUB_CHANNEL_RETRY_BASE_SECONDS", "0.5")
    point_app_at(redis_server.url)
    start_worker(processes, redis_server)
    channel = services.channel_save(
        org=org,
        by=admin,
        data=services.ChannelInput(
            kind="dingtalk",
            name="HQ",
            webhook_url=receiver.dingtalk_url(),
            secret=R.DING_SECRET,
        ),
    )
    receiver.answer_next("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast"})
    receiver.answer_next("dingtalk", 429, {})
    response = api(admin).post(f"/api/v1/orgs/{org.slug}/channels/{channel.pk}/test/")
    assert response.status_code == 202
    delivery_id = response.json()["id"]

    def sent():
        return Delivery.objects.for_org(org).get(pk=delivery_id).status == "sent"

    wait_for(sent, seconds=90, what="the message sent after two rate limits")
    delivery = Delivery.objects.for_org(org).get(pk=delivery_id)
    assert delivery.attempts == 3 and delivery.last_error == ""
    assert len(receiver.received) == 3 and [r.error for r in receiver.received] == [""] * 3
    # A job delivered again (a retry, a redelivery) sends nothing twice.
    celery_app.send_task(
        "messaging.deliver", kwargs={"organization_id": org.pk, "delivery_id": delivery_id}
    )
    ping = services.channel_test(org=org, channel=channel, by=admin, url="https://x.example/")
    wait_for(
        lambda: Delivery.objects.for_org(org).get(pk=ping.pk).status == "sent",
        what="a second message (the queue is drained in order)",
    )
    assert len(receiver.received) == 4
