"""scripts/security_checks.py: pip-audit's report read right, and skipped (not failed)
only when the vulnerability service cannot be reached."""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "security_checks.py"


@pytest.fixture
def checks():
    spec = importlib.util.spec_from_file_location("security_checks", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _report(monkeypatch, checks, dependencies):
    monkeypatch.setattr(checks, "audit_service_reachable", lambda: (True, ""))
    out = json.dumps({"dependencies": dependencies, "fixes": []})
    monkeypatch.setattr(
        checks.subprocess,
        "run",
        lambda *a, **k: subprocess.CompletedProcess(a, 1, stdout=out, stderr=""),
    )


def test_a_vulnerable_package_fails(monkeypatch, checks, capsys):
    vuln = {"id": "PYSEC-0000-1", "fix_versions": ["9.9"], "aliases": [], "description": ""}
    _report(
        monkeypatch,
        checks,
        [
            {"name": "django", "version": "1.0", "vulns": [vuln]},
            {"name": "rules", "version": "3.5", "vulns": []},
        ],
    )
    assert checks.pip_audit() is False
    assert "django 1.0: PYSEC-0000-1 (fixed in 9.9)" in capsys.readouterr().out


def test_no_vulnerability_passes(monkeypatch, checks, capsys):
    _report(monkeypatch, checks, [{"name": "rules", "version": "3.5", "vulns": []}])
    assert checks.pip_audit() is True
    assert "1 packages audited, 0 vulnerable" in capsys.readouterr().out


def test_unreachable_service_is_skipped_with_a_message(monkeypatch, checks, capsys):
    monkeypatch.setattr(checks, "PROBE", "http://127.0.0.1:9/")  # nothing listens there
    assert checks.pip_audit() is True
    assert "SKIPPED" in capsys.readouterr().out


def test_bandit_finds_no_high_severity_issue(checks):
    assert checks.bandit() is True
