"""Reading a feed's source: a read-only SQL query on PostgreSQL or MySQL, or an .xlsx/.csv
file at an HTTP(S) address. Every connection goes to the address feeds.network checked
against the organization's allow-list, with timeouts and limits:

- SQL: the query runs wrapped (`SELECT * FROM (<query>) AS feed LIMIT n`, so one statement
  only) in a read-only transaction (PostgreSQL `default_transaction_read_only` and `SET
  TRANSACTION READ ONLY`; MySQL `START TRANSACTION READ ONLY`) with a statement timeout;
- files: no redirect to another host (one to the same host is checked again), a connect
  and a read timeout, a deadline for the whole body and a size limit.

Errors are `SourceUnavailable` (worth retrying: refused connection, timeout, 5xx) or
`SourceRefused` (retrying cannot help: a bad query, a refused login, an address not
allowed, a file that is not a table)."""

from __future__ import annotations

import csv
import io
import re
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urljoin, urlsplit

import urllib3
from django.conf import settings
from django.utils.translation import gettext as _

from metrics import spreadsheets

from . import network
from .models import FeedKind, FileFormat

DEFAULT_PORTS = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "http": 80, "https": 443}
SCHEMES: dict[str, tuple[str, ...]] = {
    FeedKind.POSTGRES: ("postgresql", "postgres"),
    FeedKind.MYSQL: ("mysql",),
    FeedKind.FILE: ("http", "https"),
}
MAX_REDIRECTS = 3
_LEADING_COMMENTS = re.compile(r"^\s*((--[^\n]*\n)|(/\*.*?\*/)|\s)*", re.S)


class SourceError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class SourceUnavailable(SourceError):
    """The source could not be read now; a later try may succeed."""


class SourceRefused(SourceError):
    """The source cannot be read as configured; trying again will not help."""


@dataclass
class SourceConfig:
    """What is needed to read a feed (plain values, decrypted; never logged)."""

    org: object
    kind: str
    url: str
    password: str = ""
    query: str = ""
    file_format: str = ""


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple] = field(default_factory=list)
    first_row: int = 1  # the number people see for rows[0] (files: 2, under the header)


def _timeout() -> float:
    return float(settings.PERFHUB_FEED_TIMEOUT_SECONDS)


def _max_rows() -> int:
    return int(settings.PERFHUB_FEED_MAX_ROWS)


def url_parts(kind: str, url: str):
    """The split address, its host and port; ValueError with a message when it does not
    fit the kind of source."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(_("This is not a valid address.")) from None
    if parts.scheme.lower() not in SCHEMES.get(kind, ()):
        raise ValueError(
            _("The address must start with %(schemes)s.")
            % {"schemes": " / ".join(f"{s}://" for s in SCHEMES.get(kind, ()))}
        )
    if not parts.hostname:
        raise ValueError(_("The address has no host."))
    return parts, parts.hostname, port or DEFAULT_PORTS[parts.scheme.lower()]


def url_hint(kind: str, url: str) -> str:
    """The address without user name, password or query: what pages show."""
    try:
        parts, host, port = url_parts(kind, url)
    except ValueError:
        return ""
    return f"{parts.scheme}://{host}:{port}{parts.path}"[:300]


def query_check(query: str) -> str:
    """The query without a trailing semicolon; ValueError unless it is one SELECT (or
    WITH … SELECT). The read-only transaction is the real guard; this is the early word."""
    text = query.strip().rstrip(";").strip()
    body = _LEADING_COMMENTS.sub("", text)
    if not re.match(r"(?i)^(select|with)\b", body):
        raise ValueError(_("Only a SELECT query is allowed (it may start with WITH)."))
    if ";" in _strip_literals(body):
        raise ValueError(_("Only one statement is allowed: remove the “;” inside the query."))
    if re.search(
        r"(?i)\b(insert|update|delete|merge|truncate|drop|alter|create|grant|call|"
        r"copy|lock|into\s+outfile)\b",
        _strip_literals(body),
    ):
        raise ValueError(_("Only a SELECT query is allowed: the query must change nothing."))
    return text


def _strip_literals(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`", "''", sql)


@dataclass(frozen=True)
class Target:
    """Where to connect: the split address, its host and port, and the IP address the
    allow-list allowed (connected to as is: no second DNS look-up)."""

    parts: object
    host: str
    ip: str
    port: int


def target_check(config: SourceConfig) -> Target:
    """The checked address of the source (reads the allow-list: call it in a transaction
    of the organization); SourceUnavailable when the name does not resolve now,
    SourceRefused when the address is not allowed."""
    try:
        parts, host, port = url_parts(config.kind, config.url)
    except ValueError as exc:
        raise SourceRefused(str(exc)) from None
    try:
        ip = network.resolve_allowed(org=config.org, host=host, port=port)
    except network.AddressUnresolved as exc:
        raise SourceUnavailable(exc.message) from None
    except network.AddressRefused as exc:
        raise SourceRefused(exc.message) from None
    return Target(parts=parts, host=host, ip=ip, port=port)


def fetch(config: SourceConfig, target: Target) -> Table:
    """The source's rows (at most PERFHUB_FEED_MAX_ROWS), or SourceUnavailable/Refused."""
    parts, host, ip, port = target.parts, target.host, target.ip, target.port
    if config.kind == FeedKind.POSTGRES:
        return _postgres(config, parts, host, ip, port)
    if config.kind == FeedKind.MYSQL:
        return _mysql(config, parts, ip, port)
    return _file(config, parts, host, ip, port)


def _wrapped(query: str) -> str:
    try:
        text = query_check(query)
    except ValueError as exc:
        raise SourceRefused(str(exc)) from None
    return f"SELECT * FROM ({text}\n) AS perfhub_feed LIMIT {_max_rows() + 1}"  # noqa: S608


def _too_many() -> SourceRefused:
    return SourceRefused(
        _("The source returned more than %(n)s rows: narrow the query or split the file.")
        % {"n": f"{_max_rows():,}"}
    )


def _close(conn, errors) -> None:
    """End the read-only transaction and the connection; a broken one is already gone."""
    try:
        conn.rollback()
        conn.close()
    except errors:
        pass


def _sql_table(columns: list[str], rows) -> Table:
    if len(rows) > _max_rows():
        raise _too_many()
    return Table(columns=columns, rows=[tuple(r) for r in rows])


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [exc.__class__.__name__])[0][:300]


def _postgres(config: SourceConfig, parts, host: str, ip: str, port: int) -> Table:
    import psycopg2
    from psycopg2 import errorcodes

    timeout_ms = int(_timeout() * 1000)
    try:
        conn = psycopg2.connect(
            host=host,
            hostaddr=ip,  # the address checked: no second DNS look-up
            port=port,
            dbname=unquote(parts.path.lstrip("/")),
            user=unquote(parts.username or ""),
            password=config.password or unquote(parts.password or ""),
            connect_timeout=max(1, int(_timeout())),
            application_name="perfhub-feed",
            options=f"-c default_transaction_read_only=on -c statement_timeout={timeout_ms}",
        )
    except psycopg2.OperationalError as exc:
        text = _first_line(exc)
        if "authentication" in text or "does not exist" in text or "no pg_hba" in text:
            raise SourceRefused(_("The database refused the login: %s") % text) from None
        raise SourceUnavailable(_("The database cannot be reached: %s") % text) from None
    try:
        with conn.cursor() as cursor:
            cursor.execute("SET TRANSACTION READ ONLY")
            cursor.execute(_wrapped(config.query))
            columns = [d.name for d in cursor.description or ()]
            rows = cursor.fetchall()
    except psycopg2.errors.QueryCanceled:
        raise SourceUnavailable(
            _("The query took longer than %(s)s seconds and was stopped.") % {"s": _timeout()}
        ) from None
    except psycopg2.OperationalError as exc:
        raise SourceUnavailable(
            _("The database connection failed: %s") % _first_line(exc)
        ) from None
    except psycopg2.Error as exc:
        if exc.pgcode == errorcodes.READ_ONLY_SQL_TRANSACTION:
            raise SourceRefused(_("The query tries to change data: a feed only reads.")) from None
        raise SourceRefused(_("The query failed: %s") % _first_line(exc)) from None
    finally:
        _close(conn, psycopg2.Error)
    return _sql_table(columns, rows)


# MySQL/MariaDB error numbers worth a retry: cannot connect, lost the connection, the
# statement ran too long (MySQL 3024, MariaDB 1969), too many connections.
_MYSQL_TRANSIENT = {1040, 1205, 1213, 1969, 2002, 2003, 2006, 2013, 3024}


def _mysql(config: SourceConfig, parts, ip: str, port: int) -> Table:
    import pymysql

    timeout = _timeout()
    try:
        conn = pymysql.connect(
            host=ip,  # the address checked: no second DNS look-up
            port=port,
            user=unquote(parts.username or ""),
            password=config.password or unquote(parts.password or ""),
            database=unquote(parts.path.lstrip("/")) or None,
            connect_timeout=max(1, int(timeout)),
            read_timeout=timeout,
            write_timeout=timeout,
            charset="utf8mb4",
            autocommit=True,
        )
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        if code in _MYSQL_TRANSIENT:
            raise SourceUnavailable(
                _("The database cannot be reached: %s") % _first_line(exc)
            ) from None
        raise SourceRefused(_("The database refused the login: %s") % _first_line(exc)) from None
    try:
        with conn.cursor() as cursor:
            try:  # MySQL: milliseconds; MariaDB: seconds
                cursor.execute("SET SESSION MAX_EXECUTION_TIME = %s", [int(timeout * 1000)])
            except pymysql.MySQLError:
                cursor.execute("SET SESSION max_statement_time = %s", [timeout])
            cursor.execute("START TRANSACTION READ ONLY")
            cursor.execute(_wrapped(config.query))
            columns = [d[0] for d in cursor.description or ()]
            rows = cursor.fetchall()
    except pymysql.MySQLError as exc:
        code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
        if code in _MYSQL_TRANSIENT:
            raise SourceUnavailable(_("The query failed for now: %s") % _first_line(exc)) from None
        if code == 1792:  # cannot execute statement in a READ ONLY transaction
            raise SourceRefused(_("The query tries to change data: a feed only reads.")) from None
        raise SourceRefused(_("The query failed: %s") % _first_line(exc)) from None
    finally:
        _close(conn, pymysql.MySQLError)
    return _sql_table(columns, rows)


def _file(config: SourceConfig, parts, host: str, ip: str, port: int) -> Table:
    content = _download(config, parts, host, ip, port)
    name = parts.path.rsplit("/", 1)[-1]
    file_format = config.file_format or (
        FileFormat.XLSX if name.lower().endswith(".xlsx") else FileFormat.CSV
    )
    try:
        if file_format == FileFormat.XLSX:
            return _xlsx_table(content)
        return _csv_table(content)
    except spreadsheets.SpreadsheetRefused as exc:
        raise SourceRefused(exc.message) from None


def _pool(scheme: str, host: str, ip: str, port: int):
    timeout = urllib3.Timeout(connect=min(_timeout(), 10.0), read=_timeout())
    if scheme == "https":
        # Connect to the checked address; the certificate is checked for the host name.
        return urllib3.HTTPSConnectionPool(
            ip,
            port,
            timeout=timeout,
            retries=False,
            server_hostname=host,
            assert_hostname=host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(ip, port, timeout=timeout, retries=False)


def _download(config: SourceConfig, parts, host: str, ip: str, port: int) -> bytes:
    limit = int(settings.PERFHUB_FEED_MAX_BYTES)
    deadline = time.monotonic() + 2 * _timeout()
    headers = {"User-Agent": "PerfHub data feed", "Accept": "*/*"}
    if parts.username or config.password:
        headers.update(
            urllib3.make_headers(
                basic_auth=f"{unquote(parts.username or '')}:"
                f"{config.password or unquote(parts.password or '')}"
            )
        )
    scheme, url = parts.scheme.lower(), config.url.strip()
    for _hop in range(MAX_REDIRECTS + 1):
        current = urlsplit(url)
        default = DEFAULT_PORTS[scheme]
        headers["Host"] = host if port == default else f"{host}:{port}"
        target = (current.path or "/") + (f"?{current.query}" if current.query else "")
        try:
            response = _pool(scheme, host, ip, port).urlopen(
                "GET", target, headers=headers, redirect=False, preload_content=False
            )
        except urllib3.exceptions.TimeoutError:
            raise SourceUnavailable(
                _("The server did not answer within %(s)s seconds.") % {"s": _timeout()}
            ) from None
        except urllib3.exceptions.SSLError as exc:
            raise SourceRefused(_("The secure connection failed: %s") % _first_line(exc)) from None
        except urllib3.exceptions.HTTPError as exc:
            raise SourceUnavailable(
                _("The server cannot be reached: %s") % _first_line(exc)
            ) from None
        try:
            if 300 <= response.status < 400:
                location = response.headers.get("Location", "")
                nxt = urlsplit(urljoin(url, location))
                nxt_port = nxt.port or DEFAULT_PORTS.get(nxt.scheme.lower(), 0)
                if (nxt.scheme.lower(), (nxt.hostname or "").lower(), nxt_port) != (
                    scheme,
                    host.lower(),
                    port,
                ):
                    raise SourceRefused(
                        _(
                            "The server redirects to another address (%(to)s): a feed does not "
                            "follow it. Use the final address."
                        )
                        % {"to": f"{nxt.scheme}://{nxt.hostname}:{nxt_port}"}
                    )
                url = urljoin(url, location)
                continue
            if response.status == 429 or response.status >= 500:
                raise SourceUnavailable(
                    _("The server answered %(status)s; try again later.")
                    % {"status": response.status}
                )
            if response.status >= 400:
                raise SourceRefused(
                    _("The server answered %(status)s for this address.")
                    % {"status": response.status}
                )
            return _read_body(response, limit, deadline)
        finally:
            response.release_conn()
    raise SourceRefused(_("The server redirects too many times."))


def _read_body(response, limit: int, deadline: float) -> bytes:
    chunks, size = [], 0
    try:
        for chunk in response.stream(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise SourceRefused(
                    _("The file is larger than %(mb)s MB.") % {"mb": spreadsheets.megabytes(limit)}
                )
            if time.monotonic() > deadline:
                raise SourceUnavailable(_("The download took too long and was stopped."))
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError:
        raise SourceUnavailable(
            _("The server did not answer within %(s)s seconds.") % {"s": _timeout()}
        ) from None
    except urllib3.exceptions.HTTPError as exc:
        raise SourceUnavailable(_("The download failed: %s") % _first_line(exc)) from None
    return b"".join(chunks)


def _cell(value):
    if value == "":
        return None
    if type(value) is float and value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _table(grid: list[list], first_row: int) -> Table:
    if not grid:
        raise SourceRefused(_("The file is empty."))
    header = [str(c).strip() if c is not None else "" for c in grid[0]]
    rows = []
    for line in grid[1:]:
        cells = tuple(_cell(c) for c in line)
        rows.append(cells)
        if len(rows) > _max_rows():
            raise _too_many()
    return Table(columns=header, rows=rows, first_row=first_row)


def _xlsx_table(content: bytes) -> Table:
    (sheet,) = spreadsheets.read_xlsx_sheets(
        io.BytesIO(content),
        pick=lambda names: names[:1],
        max_rows=_max_rows(),
        max_grid_cells=(_max_rows() + 1) * 30,
    )
    return _table(sheet.rows, first_row=2)


def _csv_text_rows(content: bytes) -> list[list]:
    text = spreadsheets.csv_text(io.BytesIO(content))
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=spreadsheets.csv_delimiter(text), strict=True
    )
    try:
        return [[c.strip() for c in line] for line in reader]
    except csv.Error as exc:
        raise SourceRefused(
            _("The CSV file cannot be read near line %(line)s: %(error)s")
            % {"line": reader.line_num, "error": exc}
        ) from None


def _csv_table(content: bytes) -> Table:
    return _table(_csv_text_rows(content), first_row=2)
