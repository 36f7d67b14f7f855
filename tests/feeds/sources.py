"""Local sources for the feed tests: a second PostgreSQL database on the test server (an
ERP-like table, read by a role that may only SELECT) and a threaded HTTP server on a
loopback port serving .csv and .xlsx files - one that answers slowly, one that fails with
503 before it answers, one that redirects elsewhere. Nothing leaves the machine."""

from __future__ import annotations

import io
import os
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import environ
import psycopg2
from openpyxl import Workbook

READER_PASSWORD = "reader-pw-Secret-42"  # noqa: S105 - a test database's role

ERP_ROWS = [
    ("sales", "new_customers", "2026-03", 42),
    ("sales", "customer_satisfaction", "2026-03", 91.5),
    ("SALES", "new_customers", "2026-02-15", 40),  # a date in February; code in any case
]


def _owner_dsn(dbname: str) -> dict:
    url = os.environ.get("DATABASE_OWNER_URL") or os.environ["DATABASE_URL"]
    cfg = environ.Env.db_url_config(url)
    return {
        "dbname": dbname,
        "user": cfg["USER"],
        "password": cfg["PASSWORD"] or None,
        "host": cfg["HOST"] or "127.0.0.1",
        "port": cfg["PORT"] or 5432,
    }


@dataclass
class SourceDatabase:
    name: str
    reader: str
    host: str
    port: int

    def url(self, with_password: bool = False) -> str:
        password = f":{READER_PASSWORD}" if with_password else ""
        return f"postgresql://{self.reader}{password}@{self.host}:{self.port}/{self.name}"

    def execute(self, sql: str, params=None) -> None:
        conn = psycopg2.connect(**_owner_dsn(self.name))
        try:
            with conn, conn.cursor() as cursor:
                cursor.execute(sql, params)
        finally:
            conn.close()

    def set_rows(self, rows) -> None:
        self.execute("TRUNCATE erp_rows")
        for row in rows:
            self.execute("INSERT INTO erp_rows VALUES (%s, %s, %s, %s)", list(row))


def create_source_database() -> SourceDatabase:
    main = environ.Env.db_url_config(os.environ["DATABASE_URL"])["NAME"]
    name, reader = f"{main}_source", f"{main}_reader"
    admin = psycopg2.connect(**_owner_dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [reader])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE ROLE "{reader}" LOGIN PASSWORD %s', [READER_PASSWORD])
    admin.close()
    cfg = _owner_dsn(name)
    db = SourceDatabase(name=name, reader=reader, host=cfg["host"], port=int(cfg["port"]))
    db.execute(
        "CREATE TABLE erp_rows (dept text, indicator text, period text, amount numeric);"
        "CREATE SEQUENCE erp_seq;"
        f'GRANT SELECT ON erp_rows TO "{reader}"; GRANT USAGE, SELECT ON erp_seq TO "{reader}";'
        f'GRANT UPDATE ON erp_seq TO "{reader}";'
    )
    db.set_rows(ERP_ROWS)
    return db


def drop_source_database(db: SourceDatabase) -> None:
    admin = psycopg2.connect(**_owner_dsn("postgres"))
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{db.name}" WITH (FORCE)')
    admin.close()


def csv_bytes(rows, header=("dept", "indicator", "period", "amount")) -> bytes:
    lines = [",".join(header)] + [",".join(str(c) for c in row) for row in rows]
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def xlsx_bytes(rows, header=("dept", "indicator", "period", "amount")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(header))
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    delay: float = 0.0
    headers: dict = field(default_factory=dict)


@dataclass
class FileServer:
    port: int = 0
    files: dict[str, list[Answer]] = field(default_factory=dict)  # path -> answers, in turn
    requests: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def serve(self, path: str, *answers: Answer) -> str:
        self.files[path] = list(answers)
        return self.base + path

    def _next(self, path: str) -> Answer:
        answers = self.files.get(path)
        if not answers:
            return Answer(404, b"not found")
        return answers.pop(0) if len(answers) > 1 else answers[0]


def start_file_server() -> tuple[FileServer, ThreadingHTTPServer]:
    state = FileServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            state.requests.append(self.path)
            answer = state._next(self.path.split("?", 1)[0])
            if answer.delay:
                time.sleep(answer.delay)
            try:
                self.send_response(answer.status)
                for key, value in answer.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return state, server
