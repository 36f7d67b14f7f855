"""Every class the REST_FRAMEWORK setting names imports in a fresh process before anything
else of DRF: DRF's APIView reads some of them in its class body, so a module among them that
imported rest_framework.views would be imported half-way and break whichever process (a
Celery beat, a worker) happened to import it first."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]


def _named_modules() -> list[str]:
    modules = set()
    for value in settings.REST_FRAMEWORK.values():
        for item in value if isinstance(value, (list, tuple)) else [value]:
            if isinstance(item, str) and item.startswith(("perfhub.", "accounts.")):
                modules.add(item.rsplit(".", 1)[0])
    return sorted(modules)


def test_the_setting_names_our_own_modules():
    assert "perfhub.parsers" in _named_modules()


@pytest.mark.parametrize("module", _named_modules())
def test_each_module_of_the_api_setting_imports_first_in_a_fresh_process(module):
    code = (
        "import django; django.setup(); "
        f"import {module}; "
        "from rest_framework.views import APIView; "
        "APIView.parser_classes; APIView.authentication_classes"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "perfhub.settings", "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
