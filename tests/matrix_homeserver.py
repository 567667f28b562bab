"""A real Synapse homeserver on loopback, for the Matrix end-to-end tests.

Synapse lives in its own virtual environment (installed by ``.ci/install-synapse``),
never in the project's. :class:`SynapseServer` writes a minimal ``homeserver.yaml`` into
a directory it is given, starts ``python -m synapse.app.homeserver`` from that venv,
waits for the client API to answer, and stops it again.

The server only ever listens on 127.0.0.1 (client API and admin API only, no
federation listener), and its outbound HTTP is restricted to loopback, so nothing it
does leaves the machine.

Only the standard library is used here, so the helper works in any venv.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEFAULT_SYNAPSE_VENV = Path.home() / ".cache" / "consultbot" / "synapse-venv"
INSTALL_HINT = "run `.ci/install-synapse` (it prints the python path to use)"

_HIGH = {"per_second": 100_000, "burst_count": 100_000}

#: Every client-facing rate limiter that Synapse 1.16x knows, lifted out of reach.
LIFTED_RATE_LIMITS: dict[str, Any] = {
    "rc_message": _HIGH,
    "rc_registration": _HIGH,
    "rc_registration_token_validity": _HIGH,
    "rc_login": {"address": _HIGH, "account": _HIGH, "failed_attempts": _HIGH},
    "rc_admin_redaction": _HIGH,
    "rc_joins": {"local": _HIGH, "remote": _HIGH},
    "rc_joins_per_room": _HIGH,
    "rc_key_requests": _HIGH,
    "rc_3pid_validation": _HIGH,
    "rc_invites": {"per_room": _HIGH, "per_user": _HIGH, "per_issuer": _HIGH},
    "rc_third_party_invite": _HIGH,
    "rc_media_create": _HIGH,
    "rc_presence": {"per_user": _HIGH},
    "rc_delayed_event_mgmt": _HIGH,
    "rc_room_creation": _HIGH,
    "rc_reports": _HIGH,
    "rc_user_directory": _HIGH,
    "rc_profile": _HIGH,
}


class SynapseError(RuntimeError):
    """Synapse could not be found, started, or asked to do something."""


def synapse_python() -> Path:
    """The python of the Synapse venv: ``$CONSULTBOT_SYNAPSE_PYTHON`` or the default.

    Raises :class:`SynapseError` (with instructions) when it is missing.
    """
    env = os.environ.get("CONSULTBOT_SYNAPSE_PYTHON")
    if env:
        python = Path(env)
        where = f"CONSULTBOT_SYNAPSE_PYTHON={env}"
    else:
        venv = Path(os.environ.get("CONSULTBOT_SYNAPSE_VENV") or DEFAULT_SYNAPSE_VENV)
        python = venv / "bin" / "python"
        where = str(python)
    if not python.exists() and not env:
        # A new machine: install the pinned Synapse into its own cached venv, once, so the
        # README's single test command is enough (about a minute the first time).
        script = Path(__file__).resolve().parents[1] / ".ci" / "install-synapse"
        subprocess.run(["bash", str(script)], check=False, stdout=subprocess.DEVNULL)
    if not python.exists():
        raise SynapseError(
            f"Synapse is not installed ({where} does not exist): {INSTALL_HINT}, "
            "or set CONSULTBOT_SKIP_MATRIX=1 to skip the Matrix tests."
        )
    return python


def free_port() -> int:
    """An ephemeral TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _unpadded_b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


class SynapseServer:
    """One Synapse process with its config and data under ``data_dir``.

    >>> server = SynapseServer(tmp_path).start()
    >>> user_id, token = server.register_user("alice", "secret")
    >>> server.stop()
    """

    def __init__(
        self,
        data_dir: Path | str,
        *,
        server_name: str = "localhost",
        lift_rate_limits: bool = True,
        python: Path | str | None = None,
        port: int | None = None,
        extra_config: Mapping[str, Any] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.server_name = server_name
        self.lift_rate_limits = lift_rate_limits
        self.python = Path(python) if python is not None else synapse_python()
        self.port = port or free_port()
        self.extra_config = dict(extra_config or {})
        self.startup_timeout = startup_timeout
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.config_path = self.data_dir / "homeserver.yaml"
        self.log_path = self.data_dir / "homeserver.log"
        self.output_path = self.data_dir / "synapse.out"
        self.registration_shared_secret = secrets.token_hex(32)
        #: seconds the last start() took until the client API answered
        self.startup_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._output: Any = None
        self._write_config()

    # -- configuration ------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        d = self.data_dir
        cfg: dict[str, Any] = {
            "server_name": self.server_name,
            "public_baseurl": f"{self.base_url}/",
            "report_stats": False,
            "listeners": [
                {
                    "port": self.port,
                    "bind_addresses": ["127.0.0.1"],
                    "type": "http",
                    "tls": False,
                    "x_forwarded": False,
                    "resources": [{"names": ["client"], "compress": False}],
                }
            ],
            "database": {"name": "sqlite3", "args": {"database": str(d / "homeserver.db")}},
            "log_config": str(d / "log.config"),
            "media_store_path": str(d / "media_store"),
            "signing_key_path": str(d / "signing.key"),
            "registration_shared_secret": self.registration_shared_secret,
            "enable_registration": False,
            "macaroon_secret_key": secrets.token_hex(32),
            "form_secret": secrets.token_hex(32),
            "trusted_key_servers": [],
            "suppress_key_server_warning": True,
            "url_preview_enabled": False,
            "enable_metrics": False,
            # No federation in either direction, and outbound HTTP only to loopback.
            "federation_domain_whitelist": [],
            "ip_range_blacklist": ["0.0.0.0/0", "::/0"],
            "ip_range_whitelist": ["127.0.0.0/8", "::1/128"],
            # Cheap password hashing: registration and login are on every test's path.
            "bcrypt_rounds": 4,
        }
        if self.lift_rate_limits:
            cfg.update(LIFTED_RATE_LIMITS)
        cfg.update(self.extra_config)
        return cfg

    def _write_config(self) -> None:
        d = self.data_dir
        (d / "media_store").mkdir(parents=True, exist_ok=True)
        # YAML is a superset of JSON, so no YAML library is needed on our side.
        self.config_path.write_text(json.dumps(self.config(), indent=2))
        log_config = {
            "version": 1,
            "formatters": {
                "precise": {
                    "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s"
                    " - %(request)s - %(message)s"
                }
            },
            "handlers": {
                "file": {
                    "class": "logging.FileHandler",
                    "formatter": "precise",
                    "filename": str(self.log_path),
                    "encoding": "utf8",
                }
            },
            "root": {"level": "WARNING", "handlers": ["file"]},
            "disable_existing_loggers": False,
        }
        (d / "log.config").write_text(json.dumps(log_config, indent=2))
        key_path = d / "signing.key"
        if not key_path.exists():
            # Synapse's signing key file: "<algorithm> <version> <base64 seed>", the
            # format signedjson writes; an ed25519 seed is 32 random bytes.
            key_path.write_text(
                f"ed25519 a_{secrets.token_hex(2)} {_unpadded_b64(os.urandom(32))}\n"
            )
            key_path.chmod(0o600)

    # -- lifecycle ---------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> SynapseServer:
        if self.running:
            return self
        t0 = time.monotonic()
        self._output = self.output_path.open("ab")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONUNBUFFERED"] = "1"
        self._proc = subprocess.Popen(
            [str(self.python), "-m", "synapse.app.homeserver", "-c", str(self.config_path)],
            cwd=self.data_dir,
            stdin=subprocess.DEVNULL,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            env=env,
        )
        _RUNNING.add(self)
        try:
            self._wait_until_ready(t0)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _wait_until_ready(self, t0: float) -> None:
        url = f"{self.base_url}/_matrix/client/versions"
        deadline = t0 + self.startup_timeout
        assert self._proc is not None
        while True:
            code = self._proc.poll()
            if code is not None:
                raise SynapseError(
                    f"Synapse exited with code {code} during startup.\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(url, timeout=1) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                raise SynapseError(
                    f"Synapse did not answer {url} within {self.startup_timeout:g}s.\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout`` seconds. Idempotent."""
        proc, self._proc = self._proc, None
        _RUNNING.discard(self)
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        if self._output is not None:
            self._output.close()
            self._output = None

    def restart(self) -> SynapseServer:
        """Stop and start again: same port, same database, users and tokens kept."""
        self.stop()
        return self.start()

    def __enter__(self) -> SynapseServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- diagnostics ---------------------------------------------------------------

    def log_tail(self, lines: int = 40) -> str:
        parts = []
        for path in (self.output_path, self.log_path):
            if path.exists():
                text = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- last {len(text)} lines of {path} ---\n" + "\n".join(text))
            else:
                parts.append(f"--- {path} does not exist ---")
        return "\n".join(parts)

    def rss_bytes(self) -> int | None:
        """Resident set size of the Synapse process (Linux ``/proc``), if running."""
        if not self.running:
            return None
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return None

    # -- admin API -----------------------------------------------------------------

    def _request(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                return json.load(resp)
        except urllib.error.HTTPError as err:
            detail = err.read().decode(errors="replace")
            raise SynapseError(f"{method} {path} -> HTTP {err.code}: {detail}") from None

    def register_user(self, localpart: str, password: str, admin: bool = False) -> tuple[str, str]:
        """Register through the shared-secret admin API; returns (user_id, access_token).

        https://element-hq.github.io/synapse/latest/admin_api/register_api.html
        """
        nonce = self._request("GET", "/_synapse/admin/v1/register")["nonce"]
        mac = hmac.new(self.registration_shared_secret.encode(), digestmod=hashlib.sha1)
        for part in (nonce, localpart, password):
            mac.update(part.encode("utf8"))
            mac.update(b"\x00")
        mac.update(b"admin" if admin else b"notadmin")
        result = self._request(
            "POST",
            "/_synapse/admin/v1/register",
            {
                "nonce": nonce,
                "username": localpart,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            },
        )
        return result["user_id"], result["access_token"]


_RUNNING: set[SynapseServer] = set()


@atexit.register
def _stop_leftovers() -> None:
    # Safety net for an interrupted test run: never leave a homeserver behind.
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop(timeout=5)


if __name__ == "__main__":  # manual use: python tests/matrix_homeserver.py DIR
    import tempfile

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    with SynapseServer(target) as srv:
        print(f"{srv.base_url} up in {srv.startup_seconds:.2f}s, data in {target}")
        print("shared secret:", srv.registration_shared_secret)
        with contextlib.suppress(KeyboardInterrupt):
            signal.pause()
