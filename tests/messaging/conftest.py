import pytest

from tests.messaging import receiver as receiver_module


@pytest.fixture
def receiver(settings):
    """The local platform receiver; the app may post to it (an extra loopback host)."""
    rec, server = receiver_module.start()
    settings.PERFHUB_CHANNEL_EXTRA_HOSTS = [rec.host]
    settings.PERFHUB_CHANNEL_RETRY_BASE_SECONDS = 0.01
    yield rec
    server.shutdown()
    server.server_close()
