"""A throwaway PostgreSQL cluster for runtime tests and benchmarks.

`PgCluster` runs `initdb` and `pg_ctl start` in a fresh temporary folder, listens on 127.0.0.1
only (a free port; the unix socket stays in the folder), trusts every loopback connection, and
`stop()` shuts the server down and deletes the folder. Running as root, the server runs as the
`postgres` OS user (initdb refuses root) through `runuser`, and the folder is given to that user.

SQL goes through `psql` over TCP, so the client needs no Python driver:

    with PgCluster(find_pg_bindir()) as pg:
        pg.create_database("app")
        pg.query("SELECT count(*) FROM pg_stat_activity", database="app")  # -> [["1"]]

Binaries are found by `find_pg_bindir()`: $PG_BINDIR, else the newest Debian
/usr/lib/postgresql/*/bin, else `initdb` on PATH (see .ci/install-postgres.sh).
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

SUPERUSER = "postgres"
# Settings for a disposable cluster: durability off (nothing here must survive a crash).
SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "log_min_messages": "warning",
}
COMMAND_TIMEOUT = 120


class PgError(RuntimeError):
    """A cluster command failed; the message holds its output (and the server log's tail)."""


def find_pg_bindir() -> Path | None:
    """The folder holding initdb, pg_ctl and psql, or None when PostgreSQL is not installed."""
    explicit = os.environ.get("PG_BINDIR")
    candidates = [Path(explicit)] if explicit else []

    def version(path: str) -> tuple[int, ...]:
        found = re.search(r"/postgresql/([\d.]+)/", path)
        return tuple(int(part) for part in found.group(1).split(".")) if found else ()

    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version, reverse=True)
    candidates += [Path(path).parent for path in debian]
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in ("initdb", "pg_ctl", "postgres")):
            return folder
    return None


def find_psql(bindir: Path) -> str | None:
    """psql next to the server binaries, else on PATH."""
    beside = bindir / "psql"
    return str(beside) if beside.is_file() else shutil.which("psql")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _reachable_by_others(folder: Path) -> bool:
    """Whether every folder from / down to ``folder`` lets other users through (o+x)."""
    folder = folder.resolve()
    return all(os.stat(part).st_mode & 0o001 for part in [folder, *folder.parents])


class PgCluster:
    """initdb + pg_ctl in a temporary folder on a loopback port; `stop()` removes everything."""

    def __init__(self, bindir: Path, *, port: int | None = None) -> None:
        self.bindir = Path(bindir)
        psql = find_psql(self.bindir)
        if psql is None:
            raise PgError(f"psql not found in {self.bindir} or on PATH")
        self.psql_bin = psql
        self.port = port or free_port()
        self.root: Path | None = None
        self.running = False
        # initdb refuses to run as root: then the server runs as the postgres OS user.
        self._as: list[str] = []
        self._owner: tuple[int, int] | None = None
        if os.name == "posix" and os.geteuid() == 0:
            try:
                entry = pwd.getpwnam(SUPERUSER)
            except KeyError as exc:
                raise PgError(
                    "running as root, but there is no `postgres` OS user to run the server "
                    "(the Debian postgresql package creates it)"
                ) from exc
            runuser = shutil.which("runuser")
            self._as = [runuser, "-u", SUPERUSER, "--"] if runuser else ["su", SUPERUSER, "-c"]
            self._owner = (entry.pw_uid, entry.pw_gid)

    # paths ----------------------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self._root() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._root() / "socket"

    @property
    def log_file(self) -> Path:
        return self._root() / "server.log"

    def _root(self) -> Path:
        if self.root is None:
            raise PgError("the cluster has not been created (call start())")
        return self.root

    # lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> PgCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, attempts: int = 3) -> None:
        """Create the cluster and start the server; retries on another port if it is taken."""
        if self.running:
            return
        try:
            self._init()
            for attempt in range(attempts):
                self._configure()
                try:
                    self._run_server(
                        [
                            str(self.bindir / "pg_ctl"),
                            "start",
                            "-D",
                            str(self.data_dir),
                            "-l",
                            str(self.log_file),
                            "-w",
                            "-t",
                            "60",
                        ]
                    )
                except PgError:
                    if attempt + 1 == attempts or "already in use" not in self.log_tail():
                        raise
                    self.port = free_port()
                    continue
                self.running = True
                return
        except BaseException:
            self.stop()
            raise

    def _init(self) -> None:
        parent = None
        if self._owner is not None and not _reachable_by_others(Path(tempfile.gettempdir())):
            parent = "/tmp"  # the server's OS user must be able to reach its folder
        self.root = Path(tempfile.mkdtemp(prefix="leakfix-pg-", dir=parent))
        self.socket_dir.mkdir()
        if self._owner is not None:
            for path in (self.root, self.socket_dir):
                os.chown(path, *self._owner)
        os.chmod(self.root, 0o700)
        self._run_server(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ]
        )

    def _configure(self) -> None:
        # Later lines win in postgresql.conf, so a retry on a new port just appends again.
        lines = [f"{key} = {value}" for key, value in SETTINGS.items()]
        lines += [f"port = {self.port}", f"unix_socket_directories = '{self.socket_dir}'"]
        with (self.data_dir / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# leakfix throwaway cluster\n" + "\n".join(lines) + "\n")

    def stop(self) -> None:
        """Stop the server (fast, then immediate, then SIGKILL) and delete the folder."""
        if self.root is None:
            return
        if (self.data_dir / "postmaster.pid").exists():
            for mode in ("fast", "immediate"):
                with contextlib.suppress(PgError):
                    self._run_server(
                        [str(self.bindir / "pg_ctl"), "stop", "-D", str(self.data_dir)]
                        + ["-m", mode, "-w", "-t", "30"]
                    )
                    break
            self._kill_postmaster()
        self.running = False
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def _kill_postmaster(self) -> None:
        pidfile = self.data_dir / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            pid = int(pidfile.read_text().splitlines()[0])
            os.kill(pid, signal.SIGKILL)
            for _ in range(50):
                os.kill(pid, 0)
                time.sleep(0.1)

    def _run_server(self, args: list[str]) -> str:
        """Run a server-side tool (initdb, pg_ctl) as the cluster's OS user."""
        if self._as and self._as[0] == "su":
            command = [*self._as, " ".join(shlex.quote(arg) for arg in args)]
        else:
            command = [*self._as, *args]
        try:
            proc = subprocess.run(
                command,
                cwd=self._root(),
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgError(f"$ {' '.join(args)}\n{exc}") from exc
        output = proc.stdout + proc.stderr
        if proc.returncode != 0:
            raise PgError(
                f"$ {' '.join(args)}\nexit status {proc.returncode}\n{output}"
                f"--- server log ---\n{self.log_tail()}"
            )
        return output

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_file.read_text(errors="replace")
        except (OSError, PgError):
            return ""
        return "\n".join(text.splitlines()[-lines:])

    # clients --------------------------------------------------------------------------------

    def url(self, database: str = "postgres", **params: str) -> str:
        """A postgres:// URL for TCP on 127.0.0.1 (sslmode=disable plus ``params``)."""
        query = "&".join(
            f"{key}={value}" for key, value in {"sslmode": "disable", **params}.items()
        )
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}?{query}"

    def query(self, sql: str, database: str = "postgres") -> list[list[str]]:
        """Run ``sql`` with psql; return the rows of its last result as lists of strings."""
        args = [
            self.psql_bin,
            "-X",
            "-q",
            "-A",
            "-t",
            "-F",
            "\t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            sql,
        ]
        env = {**os.environ, "PGCONNECT_TIMEOUT": "10", "PGAPPNAME": "leakfix-probe"}
        try:
            proc = subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT,
                check=False,
                env=env,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PgError(f"psql: {exc}") from exc
        if proc.returncode != 0:
            raise PgError(f"psql -c {sql!r}: exit status {proc.returncode}\n{proc.stderr}")
        return [line.split("\t") for line in proc.stdout.splitlines() if line]

    def create_database(self, name: str) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            raise ValueError(f"not a plain database name: {name!r}")
        self.query(f"CREATE DATABASE {name}")

    def sessions(self, application_name: str, database: str = "postgres") -> tuple[int, int]:
        """Sessions of ``application_name`` in pg_stat_activity, and of them how many are idle
        in a transaction (open or aborted). pg_stat_activity shows every session to a
        superuser, whichever session reads it."""
        if not re.fullmatch(r"[\w.-]+", application_name):
            raise ValueError(f"not a plain application name: {application_name!r}")
        rows = self.query(
            "SELECT count(*), count(*) FILTER (WHERE state LIKE 'idle in transaction%')"
            f" FROM pg_stat_activity WHERE application_name = '{application_name}'",
            database,
        )
        return int(rows[0][0]), int(rows[0][1])
