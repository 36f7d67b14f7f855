"""Message channels (messaging/, issue 18 §1): each platform's signature scheme and body
checked by a local receiver, retries on rate limits and network errors, never twice for
one event, secrets write-only and encrypted at rest, the pages and API by role."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from departments.models import IdentityProvider, MemberIdentity, NotificationKind
from messaging import selectors, services
from messaging.models import Channel, Delivery, DeliveryStatus, Route
from messaging.platforms import Message
from tests.factories import make_department
from tests.messaging import receiver as R

pytestmark = pytest.mark.django_db
K = NotificationKind


def make(org, kind, url="", secret="", name=None, **kw):
    return services.channel_save(
        org=org,
        by=None,
        data=services.ChannelInput(
            kind=kind, name=name or f"{kind} group", webhook_url=url, secret=secret, **kw
        ),
    )


def robots(org, receiver):
    return {
        "dingtalk": make(org, "dingtalk", receiver.dingtalk_url(), R.DING_SECRET),
        "wecom": make(org, "wecom", receiver.wecom_url()),
        "feishu": make(org, "feishu", receiver.feishu_url(), R.FEISHU_SECRET),
    }


def route_all(org, channels, kind=K.ENTRY_OVERDUE):
    services.routes_save(org=org, pairs=[(kind, c.pk) for c in channels], by=None)


def say(title="Actuals overdue", url="https://perfhub.example/o/acme/entries/"):
    return lambda: Message(title=title, text="- Sales: 2 of 5 missing", url=url)


def send_all(org):
    ids = (
        Delivery.objects.for_org(org)
        .filter(status=DeliveryStatus.QUEUED)
        .values_list("pk", flat=True)
    )
    return [services.delivery_attempt(org=org, delivery_id=i) for i in ids]


# --- the platforms' schemes, against the receiver --------------------------------------


def test_each_platform_gets_a_signed_message_of_its_format(org, receiver, manager):
    channels = robots(org, receiver)
    route_all(org, channels.values())
    for provider, uid in (("dingtalk", "ding-mona"), ("wecom", "wx-mona"), ("feishu", "ou_mona")):
        MemberIdentity.objects.create(organization=org, user=manager, provider=provider, uid=uid)
    created = services.announce(
        org=org, kind=K.ENTRY_OVERDUE, event_key="e1", build=say(), mention_user_ids=[manager.pk]
    )
    assert len(created) == 3
    assert {a.status for a in send_all(org)} == {"sent"}
    assert [r.error for r in receiver.received] == ["", "", ""]
    by = {r.platform: r.body for r in receiver.received}
    ding = by["dingtalk"]
    assert ding["markdown"]["title"] == "Actuals overdue"
    assert "(https://perfhub.example/o/acme/entries/)" in ding["markdown"]["text"]
    assert ding["at"]["atUserIds"] == ["ding-mona"] and "@ding-mona" in ding["markdown"]["text"]
    assert "<@wx-mona>" in by["wecom"]["markdown"]["content"]
    card = by["feishu"]["card"]
    assert card["header"]["title"]["content"] == "Actuals overdue"
    assert "<at id=ou_mona></at>" in card["elements"][0]["text"]["content"]
    assert card["elements"][1]["actions"][0]["url"] == "https://perfhub.example/o/acme/entries/"
    assert all(d.sent_at for d in Delivery.objects.for_org(org))


def test_a_wrong_secret_fails_with_the_platforms_error_and_is_not_retried(org, receiver):
    ding = make(org, "dingtalk", receiver.dingtalk_url(), "SECwrong")
    feishu = make(org, "feishu", receiver.feishu_url(), "wrong")
    route_all(org, [ding, feishu])
    services.announce(org=org, kind=K.ENTRY_OVERDUE, event_key="e", build=say())
    assert {a.status for a in send_all(org)} == {"failed"}
    errors = dict(Delivery.objects.for_org(org).values_list("channel__kind", "last_error"))
    assert errors == {
        "dingtalk": "310000: sign not match",
        "feishu": "19021: sign match fail or timestamp is not within one hour from current time",
    }
    assert len(receiver.received) == 2  # no retry of a refusal


@pytest.mark.parametrize(
    "platform,status,answer",
    [
        ("dingtalk", 200, {"errcode": 130101, "errmsg": "send too fast"}),
        ("dingtalk", 429, {}),
        ("wecom", 200, {"errcode": 45009, "errmsg": "api freq out of limit"}),
        ("feishu", 200, {"code": 11232, "msg": "frequency limited"}),
        ("feishu", 400, {"code": 9499, "msg": "too many request"}),
        ("feishu", 502, {}),
    ],
)
def test_rate_limits_are_retried_with_backoff_then_sent(org, receiver, platform, status, answer):
    channel = robots(org, receiver)[platform]
    route_all(org, [channel])
    receiver.answer_next(platform, status, answer)
    receiver.answer_next(platform, status, answer)
    (delivery,) = services.announce(org=org, kind=K.ENTRY_OVERDUE, event_key="e", build=say())
    first = services.delivery_attempt(org=org, delivery_id=delivery.pk)
    second = services.delivery_attempt(org=org, delivery_id=delivery.pk)
    assert (first.status, second.status) == ("queued", "queued")
    assert second.retry_in == 2 * first.retry_in  # the wait doubles
    delivery.refresh_from_db()
    assert delivery.last_error  # the platform's answer, shown on the channel's page
    assert services.delivery_attempt(org=org, delivery_id=delivery.pk).status == "sent"
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_error) == (3, "")


def test_network_errors_are_retried_until_the_last_attempt(org, settings, receiver):
    settings.PERFHUB_CHANNEL_MAX_ATTEMPTS = 3
    settings.PERFHUB_CHANNEL_TIMEOUT_SECONDS = 1
    channel = make(org, "wecom", receiver.wecom_url())
    Channel.objects.for_org(org).filter(pk=channel.pk).update(
        webhook_url="http://127.0.0.1:9/cgi-bin/webhook/send"  # nothing listens on port 9
    )
    route_all(org, [channel])
    (delivery,) = services.announce(org=org, kind=K.ENTRY_OVERDUE, event_key="e", build=say())
    statuses = [services.delivery_attempt(org=org, delivery_id=delivery.pk) for _ in range(3)]
    assert [a.status for a in statuses] == ["queued", "queued", "failed"]
    assert statuses[-1].retry_in is None
    delivery.refresh_from_db()
    assert delivery.attempts == 3 and "ConnectionError" in delivery.last_error


def test_an_event_is_never_sent_twice_to_a_channel(org, receiver):
    channels = robots(org, receiver)
    route_all(org, channels.values())
    built = []

    def build():
        built.append(1)
        return say()()

    assert len(services.announce(org=org, kind=K.ENTRY_OVERDUE, event_key="e", build=build)) == 3
    send_all(org)
    assert services.announce(org=org, kind=K.ENTRY_OVERDUE, event_key="e", build=build) == []
    assert built == [1]  # not even rendered again
    for d in Delivery.objects.for_org(org):  # a redelivered job sends nothing again
        assert services.delivery_attempt(org=org, delivery_id=d.pk).status == "sent"
    assert len(receiver.received) == 3


def test_a_message_cut_off_mid_send_is_not_sent_again(org, receiver):
    channel = robots(org, receiver)["dingtalk"]
    route_all(org, [channel])
    (delivery,) = services.announce(org=org, kind=K.ENTRY_OVERDUE, event_key="e", build=say())
    Delivery.objects.for_org(org).filter(pk=delivery.pk).update(status=DeliveryStatus.SENDING)
    assert services.delivery_attempt(org=org, delivery_id=delivery.pk).status == "failed"
    assert receiver.received == []


def test_routes_and_department_channels(org, receiver, sales):
    channels = robots(org, receiver)
    own = make(org, "wecom", receiver.wecom_url(), name="Sales group", department=sales)
    route_all(org, [channels["dingtalk"], own], kind=K.KPI_RED)
    # Not routed for this kind: nothing.
    assert services.announce(org=org, kind=K.ENTRY_OVERDUE, event_key="a", build=say()) == []
    # An event about the organization: the organization-wide channel only.
    got = services.announce(org=org, kind=K.KPI_RED, event_key="b", build=say())
    assert [d.channel for d in got] == [channels["dingtalk"]]
    # About Sales: Sales' own channel too; with org_wide=False, only it.
    got = services.announce(
        org=org, kind=K.KPI_RED, event_key="c", build=say(), department_id=sales.pk
    )
    assert {d.channel for d in got} == {channels["dingtalk"], own}
    got = services.announce(
        org=org,
        kind=K.KPI_RED,
        event_key="d",
        build=say(),
        department_id=sales.pk,
        org_wide=False,
    )
    assert [d.channel for d in got] == [own]
    Channel.objects.for_org(org).filter(pk=own.pk).update(is_active=False)
    assert (
        services.announce(
            org=org,
            kind=K.KPI_RED,
            event_key="e",
            build=say(),
            department_id=sales.pk,
            org_wide=False,
        )
        == []
    )


def test_an_email_channel_sends_to_its_address(org):
    channel = make(org, "email", email="team@example.com")
    route_all(org, [channel])
    services.announce(org=org, kind=K.ENTRY_OVERDUE, event_key="e", build=say())
    assert [a.status for a in send_all(org)] == ["sent"]
    assert mail.outbox[-1].to == ["team@example.com"]
    assert "https://perfhub.example/o/acme/entries/" in mail.outbox[-1].body


def test_messages_are_in_the_organizations_language(org, receiver, hr):
    org.language = "zh-hans"
    org.save()
    channel = robots(org, receiver)["dingtalk"]
    services.channel_test(org=org, channel=channel, by=hr, url="https://x.example/")
    send_all(org)
    text = receiver.received[0].body["markdown"]["text"]
    assert "测试" in receiver.received[0].body["markdown"]["title"]
    assert "在 PerfHub 中打开" in text


# --- validation and secrets ----------------------------------------------------------------


@pytest.mark.parametrize(
    "kind,url,field",
    [
        ("dingtalk", "https://evil.example/robot/send?access_token=x", "webhook_url"),
        ("dingtalk", "http://oapi.dingtalk.com/robot/send?access_token=x", "webhook_url"),
        ("feishu", "https://oapi.dingtalk.com/robot/send", "webhook_url"),
        ("wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send", "secret"),  # no key
        ("feishu", "not a url", "webhook_url"),
        ("dingtalk", "https://oapi.dingtalk.com:99999/robot/send", "webhook_url"),
        ("dingtalk", "https://user@oapi.dingtalk.com/robot/send", "webhook_url"),
        ("email", "", "email"),
    ],
)
def test_bad_channels_are_refused_naming_the_field(org, kind, url, field):
    with pytest.raises(ValidationError) as err:
        make(org, kind, url)
    assert field in err.value.message_dict
    assert not Channel.objects.for_org(org).exists()


def test_the_platforms_hosts_are_accepted(org):
    make(org, "dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=t", "SECx")
    make(org, "feishu", "https://open.larksuite.com/open-apis/bot/v2/hook/abc")
    wecom = make(org, "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k1")
    assert wecom.secret == "k1" and "key" not in wecom.webhook_url  # the key moved
    assert wecom.webhook_hint == "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"


def test_secrets_are_encrypted_at_rest(org, receiver):
    make(org, "dingtalk", receiver.dingtalk_url(), R.DING_SECRET)
    make(org, "wecom", receiver.wecom_url())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Channel._meta.db_table}")
        raw = repr(cursor.fetchall())
    for plain in (R.DING_SECRET, R.WECOM_KEY, R.TOKEN):
        assert plain not in raw
    assert selectors.channel_list(org=org).get(kind="dingtalk").secret == R.DING_SECRET


def test_a_blank_secret_keeps_the_stored_one_and_a_new_one_replaces_it(org, receiver):
    channel = make(org, "dingtalk", receiver.dingtalk_url(), R.DING_SECRET)
    data = services.ChannelInput(kind="dingtalk", name="renamed")
    services.channel_save(org=org, channel=channel, data=data, by=None)
    channel.refresh_from_db()
    assert (channel.name, channel.secret) == ("renamed", R.DING_SECRET)
    assert channel.webhook_url == receiver.dingtalk_url()
    data.secret = "SECnew"
    services.channel_save(org=org, channel=channel, data=data, by=None)
    channel.refresh_from_db()
    assert channel.secret == "SECnew"


# --- pages ---------------------------------------------------------------------------------


def _url(org, name, **kw):
    return reverse(name, kwargs={"slug": org.slug, **kw})


@pytest.mark.parametrize(
    "role,expected",
    [("admin", 200), ("hr", 403), ("manager", 403), ("executive", 403), ("outsider", 404)],
)
def test_channel_pages_by_role(client, role_users, org, receiver, role, expected):
    channel = make(org, "dingtalk", receiver.dingtalk_url(), R.DING_SECRET)
    client.force_login(role_users[role])
    for url in (
        _url(org, "channel_list"),
        _url(org, "channel_create"),
        _url(org, "channel_routes"),
        _url(org, "channel_edit", pk=channel.pk),
    ):
        assert client.get(url).status_code == expected, url
    response = client.post(_url(org, "channel_test", pk=channel.pk))
    assert response.status_code == (302 if expected == 200 else expected)


def test_another_orgs_channel_is_404(client, outsider, other_org, org, receiver):
    theirs = make(org, "dingtalk", receiver.dingtalk_url(), R.DING_SECRET)
    client.force_login(outsider)
    assert client.get(_url(other_org, "channel_edit", pk=theirs.pk)).status_code == 404
    assert client.post(_url(other_org, "channel_delete", pk=theirs.pk)).status_code == 404
    assert Channel.objects.for_org(org).count() == 1


def test_admin_creates_a_channel_sends_a_test_and_sees_the_result(
    client, admin, org, receiver, django_capture_on_commit_callbacks, settings
):
    client.force_login(admin)
    response = client.post(
        _url(org, "channel_create"),
        {
            "kind": "feishu",
            "name": "Management",
            "webhook_url": receiver.feishu_url(),
            "secret": R.FEISHU_SECRET,
            "is_active": "on",
        },
    )
    channel = Channel.objects.for_org(org).get()
    assert response["Location"] == _url(org, "channel_edit", pk=channel.pk)
    page = client.get(response["Location"]).content.decode()
    assert R.FEISHU_SECRET not in page and R.FEISHU_HOOK not in page
    assert "Send test message" in page
    from perfhub.celery import app

    app.conf.task_always_eager = True  # the job in process (restored below)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(_url(org, "channel_test", pk=channel.pk))
    finally:
        app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER
    assert receiver.accepted("feishu")
    page = client.get(_url(org, "channel_edit", pk=channel.pk)).content.decode()
    assert 'data-delivery-status="sent"' in page


def test_failures_show_on_the_channel_page(client, admin, org, receiver):
    channel = make(org, "dingtalk", receiver.dingtalk_url(), "SECwrong")
    services.channel_test(org=org, channel=channel, by=admin, url="https://x.example/")
    send_all(org)
    client.force_login(admin)
    page = client.get(_url(org, "channel_edit", pk=channel.pk)).content.decode()
    assert "310000: sign not match" in page and 'data-delivery-status="failed"' in page


def test_routes_matrix_saves_checkboxes(client, admin, org, receiver):
    channels = robots(org, receiver)
    client.force_login(admin)
    name = f"route-{K.KPI_RED}-{channels['wecom'].pk}"
    response = client.post(_url(org, "channel_routes"), {name: "1"})
    assert response.status_code == 302
    assert selectors.route_pairs(org=org) == {(K.KPI_RED, channels["wecom"].pk)}
    page = client.get(_url(org, "channel_routes")).content.decode()
    assert f'name="{name}" id="{name}" value="1" checked' in page


def test_email_only_kinds_are_not_offered_nor_routable(client, admin, org, receiver):
    """Mentions, action reminders and sign-off notices go to one person by e-mail: the
    matrix does not offer them and the service refuses them, naming the kind."""
    channels = robots(org, receiver)
    client.force_login(admin)
    page = client.get(_url(org, "channel_routes")).content.decode()
    assert f"route-{K.KPI_RED}-" in page and f"route-{K.THREAD_MENTION}-" not in page
    with pytest.raises(ValidationError, match="thread_mention"):
        services.routes_save(org=org, pairs=[(K.THREAD_MENTION, channels["wecom"].pk)], by=admin)


@pytest.mark.parametrize("count", [1, 6])
def test_channel_list_query_count(
    client, admin, org, receiver, count, django_assert_max_num_queries
):
    for i in range(count):
        channel = make(org, "wecom", receiver.wecom_url(), name=f"c{i}")
        services.channel_test(org=org, channel=channel, by=admin, url="https://x.example/")
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        assert client.get(_url(org, "channel_list")).status_code == 200


# --- API -------------------------------------------------------------------------------


def test_api_secrets_are_write_only(api, admin, org, receiver, sales):
    c = api(admin)
    base = f"/api/v1/orgs/{org.slug}/channels/"
    response = c.post(
        base,
        {
            "kind": "dingtalk",
            "name": "HQ",
            "webhook_url": receiver.dingtalk_url(),
            "secret": R.DING_SECRET,
            "department": sales.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["has_secret"] is True and body["department"] == sales.pk
    assert "secret" not in body and "webhook_url" not in body
    assert (
        R.TOKEN not in response.content.decode() and R.DING_SECRET not in response.content.decode()
    )
    listed = c.get(base).content.decode()
    assert R.TOKEN not in listed and R.DING_SECRET not in listed
    pk = body["id"]
    response = c.put(f"{base}{pk}/", {"kind": "dingtalk", "name": "HQ2"}, format="json")
    assert response.status_code == 200 and response.json()["has_secret"] is True
    bad = c.post(
        base, {"kind": "wecom", "name": "x", "webhook_url": "https://evil.example/"}, format="json"
    )
    assert bad.status_code == 400 and "webhook_url" in bad.json()
    unknown = c.post(base, {"kind": "wecom", "name": "y", "department": 999999}, format="json")
    assert unknown.status_code == 400 and "department" in unknown.json()


def test_api_routes_deliveries_and_test(api, admin, org, receiver):
    channel = make(org, "wecom", receiver.wecom_url())
    c = api(admin)
    routes = f"/api/v1/orgs/{org.slug}/channel-routes/"
    response = c.put(
        routes, {"routes": [{"kind": "kpi_red", "channel": channel.pk}]}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"routes": [{"kind": "kpi_red", "channel": channel.pk}]}
    bad = c.put(routes, {"routes": [{"kind": "kpi_red", "channel": 99999}]}, format="json")
    assert bad.status_code == 400
    assert Route.objects.for_org(org).count() == 1  # nothing half-saved
    response = c.post(f"/api/v1/orgs/{org.slug}/channels/{channel.pk}/test/")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    send_all(org)
    listed = c.get(f"/api/v1/orgs/{org.slug}/channel-deliveries/?channel={channel.pk}").json()
    assert [d["status"] for d in listed["results"]] == ["sent"]


@pytest.mark.parametrize(
    "role,expected", [("hr", 403), ("manager", 403), ("executive", 403), ("outsider", 404)]
)
def test_api_by_role(api, role_users, org, role, expected):
    c = api(role_users[role])
    for path in ("channels/", "channel-routes/", "channel-deliveries/"):
        assert c.get(f"/api/v1/orgs/{org.slug}/{path}").status_code == expected
    response = c.post(
        f"/api/v1/orgs/{org.slug}/channels/",
        {"kind": "email", "name": "x", "email": "a@b.cn"},
        format="json",
    )
    assert response.status_code == expected
    assert not Channel.objects.for_org(org).exists()


def test_a_department_channel_of_another_org_is_refused(org, other_org):
    theirs = make_department(other_org, code="x")
    with pytest.raises(ValidationError) as err:
        make(org, "email", email="a@example.com", department=theirs)
    assert "department" in err.value.message_dict


def test_identity_provider_names_match_channel_kinds():
    # Mentions look a member's id up by the channel's kind: the names must agree.
    assert {"dingtalk", "wecom", "feishu"} <= set(IdentityProvider.values)
