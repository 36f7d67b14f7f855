"""The README's quick start, `make run`: migrate and load the demo on the embedded default
(SQLite, jobs in-process, no Redis), in a fresh process as `make run` does. The roll-up's
SQL must parse on SQLite too; the rest of the suite runs on PostgreSQL only."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_migrates_and_loads_the_demo_on_sqlite(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DATABASE_APP_ROLE", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}")
    for command in (["migrate", "--noinput"], ["demo"]):
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=850,
        )
        assert done.returncode == 0, done.stderr[-3000:]
    assert "perfhub-demo" in done.stdout and "manager" in done.stdout
