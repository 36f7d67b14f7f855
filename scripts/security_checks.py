"""`make security`: bandit over the project's code and pip-audit over the installed packages.

- bandit: fails on any finding of high severity (lower ones are listed by
  `bandit -r departments metrics scorecards reviews feeds devtools perfhub scripts`; each that
  stays is explained).
- pip-audit: fails on any known vulnerability of an installed package. pip-audit asks
  PyPI's JSON API for them; where that service cannot be reached (a machine that reaches
  only a package index mirror, as the development machines do) it would report every
  package as "not found" and still say "No known vulnerabilities found". So the service is
  probed first: when it cannot be reached the audit is skipped with a message saying so,
  and this is the only case that does not fail.

Exit status: 0 when both pass (or the audit service is unreachable), 1 otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CODE = [
    "departments",
    "metrics",
    "scorecards",
    "reviews",
    "feeds",
    "devtools",
    "perfhub",
    "scripts",
    "manage.py",
]
PROBE = os.environ.get("PERFHUB_AUDIT_PROBE_URL", "https://pypi.org/pypi/django/5.2/json")


def bandit() -> bool:
    command = [
        str(BIN / "bandit"),
        "-q",
        "-c",
        str(ROOT / "pyproject.toml"),
        "-r",
        *CODE,
        "--severity-level",
        "high",
    ]
    result = subprocess.run(command, cwd=ROOT, check=False)  # noqa: S603 - our own command
    if result.returncode == 0:
        print("bandit: no high-severity findings")
        return True
    print("bandit: high-severity findings above (fix them, or add `# nosec BXXX - reason`)")
    return False


def audit_service_reachable() -> tuple[bool, str]:
    try:
        # A fixed https URL (or the operator's override): S310's file:// worry does not apply.
        with urllib.request.urlopen(PROBE, timeout=10) as response:  # noqa: S310  # nosec B310
            json.load(response)
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code} from {PROBE}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return False, f"{exc.__class__.__name__}: {getattr(exc, 'reason', exc)}"
    return True, ""


def pip_audit() -> bool:
    reachable, why = audit_service_reachable()
    if not reachable:
        print(
            "pip-audit: SKIPPED - the vulnerability service (PyPI's JSON API) cannot be reached "
            f"from this machine ({why}); no package was audited. Run `make security` where "
            "it can be reached."
        )
        return True
    command = [
        str(BIN / "pip-audit"),
        "--progress-spinner",
        "off",
        "--skip-editable",
        "--format",
        "json",
    ]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(result.stdout, result.stderr, sep="\n")
        print("pip-audit: failed to run (output above)")
        return False
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version"
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    print(
        f"pip-audit: {audited} packages audited, {len(vulnerable)} vulnerable, "
        f"{len(skipped)} not audited"
    )
    return not vulnerable


def main() -> int:
    ok = bandit()
    ok = pip_audit() and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
