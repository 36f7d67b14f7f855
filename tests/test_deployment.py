"""The shipped docker-compose.yml: `web` is reached only through its TLS proxy, the proxy
sets X-Forwarded-For, and `web` counts exactly that many proxies (PERFHUB_PROXY_COUNT), so
sign-in lockouts and rate limits see each client's own address."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _proxies_in_front_of_web(services: dict) -> list[str]:
    """Services whose proxy configuration (a mounted Caddyfile) forwards to web:8000."""
    found = []
    for name, service in services.items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.endswith("Caddyfile"):
                config = (ROOT / source).read_text()
                if re.search(r"reverse_proxy\s+web:8000", config):
                    found.append(name)
    return found


def test_web_counts_the_proxies_in_front_of_it():
    services = _compose()["services"]
    proxies = _proxies_in_front_of_web(services)
    assert proxies == ["proxy"]
    assert int(services["web"]["environment"]["PERFHUB_PROXY_COUNT"]) == len(proxies)


def test_web_is_reached_only_through_the_proxy():
    services = _compose()["services"]
    assert "ports" not in services["web"]  # no way around the proxy's X-Forwarded-For
    assert {"80:80", "443:443"} <= set(services["proxy"]["ports"])


def test_proxy_sets_the_client_address():
    """Caddy 2 (2.5 on) replaces X-Forwarded-For with the connecting client's address
    unless told to trust a proxy in front of it; nothing here may keep a client's value."""
    services = _compose()["services"]
    assert re.fullmatch(r"caddy:2(\.\d+)*", services["proxy"]["image"])
    config = (ROOT / "docker" / "Caddyfile").read_text()
    directives = "\n".join(line for line in config.splitlines() if not line.strip().startswith("#"))
    assert "trusted_proxies" not in directives
    assert "X-Forwarded-For" not in directives  # no header_up overriding Caddy's own


def test_web_keeps_the_shared_app_settings():
    services = _compose()["services"]
    web_env = services["web"]["environment"]
    worker_env = services["worker"]["environment"]
    assert {k: v for k, v in web_env.items() if k != "PERFHUB_PROXY_COUNT"} == worker_env
