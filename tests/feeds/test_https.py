"""A file feed over HTTPS: the connection goes to the address the allow-list checked, and
the certificate is checked for the host name of the feed's address."""

import datetime as dt
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from feeds.services.runs import run_attempt, run_request

from .conftest import file_feed
from .sources import csv_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("feed_settings", "loopback")]

BODY = csv_bytes([("sales", "new_customers", "2026-03", 5)])


def _certificate(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def https_server(tmp_path):
    cert, key = _certificate(tmp_path, "localhost")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Length", str(len(BODY)))
            self.end_headers()
            self.wfile.write(BODY)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()


def _run(org, feed):
    run = run_request(org=org, feed=feed, by=None, trigger="manual")
    while run_attempt(org=org, run_id=run.pk).retry_in is not None:
        pass
    run.refresh_from_db()
    return run


def test_an_untrusted_certificate_is_refused(org, sales_kpis, https_server):
    port, _cert = https_server
    run = _run(org, file_feed(org, f"https://localhost:{port}/x.csv"))
    assert run.state == "failed" and "secure connection failed" in run.message
    assert run.attempts == 1


def test_a_trusted_certificate_for_the_host_name_is_accepted(
    org, sales_kpis, https_server, monkeypatch
):
    port, cert = https_server
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # trust the test's own certificate
    run = _run(org, file_feed(org, f"https://localhost:{port}/x.csv"))
    assert run.state == "done", run.message
    assert run.created == 1
