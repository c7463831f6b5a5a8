"""Debian's ``mosquitto`` set up the way AWS IoT Core treats this project's devices.

* mutual TLS only: ``require_certificate true``, one certificate per device from a CA made at
  run time (:mod:`wio_tools.simbench.pki`), revocation through a CRL (``crlfile``);
* the certificate's common name is the MQTT user (``use_identity_as_username true``);
* an ACL per user: a device may publish only to ``device/<its name>/data`` and subscribe
  only to ``device/<its name>/alerts``; the counting subscriber may read ``device/+/data``;
  the operator user may publish alerts.

It listens on 127.0.0.1 only, on a free high port, and is started and stopped by its PID.
Started as root, mosquitto drops to the ``mosquitto`` user, so its folder is handed to that
user; as anyone else it keeps running as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from wio_tools.simbench.pki import IssuedCert, LocalCA

HOST = "127.0.0.1"
COUNTER_USER = "simbench-counter"
OPERATOR_USER = "simbench-operator"


class BrokerError(RuntimeError):
    """mosquitto is missing or did not start."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def mosquitto_binary() -> str:
    path = shutil.which("mosquitto") or (
        "/usr/sbin/mosquitto" if Path("/usr/sbin/mosquitto").exists() else None
    )
    if path is None:
        raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")
    return path


def acl_text(devices: list[str], revoked: set[str] | None = None) -> str:
    revoked = revoked or set()
    lines = [
        f"user {COUNTER_USER}",
        "topic read device/+/data",
        f"user {OPERATOR_USER}",
        "topic write device/+/alerts",
    ]
    for name in devices:
        if name in revoked:
            continue
        lines += [f"user {name}", f"topic write device/{name}/data"]
        lines += [f"topic read device/{name}/alerts"]
    return "\n".join(lines) + "\n"


@dataclass
class Mosquitto:
    """A running broker; ``with Mosquitto.start(folder, devices) as broker: ...``."""

    folder: Path
    ca: LocalCA
    port: int
    devices: list[str]
    proc: subprocess.Popen[bytes] | None = None
    revoked: set[str] = field(default_factory=set)

    @classmethod
    def start(cls, folder: Path, devices: list[str], port: int | None = None) -> Mosquitto:
        folder.mkdir(parents=True, exist_ok=True)
        ca = LocalCA.create(folder / "ca")
        broker = cls(folder=folder, ca=ca, port=port or free_port(), devices=list(devices))
        ca.issue("server", broker.etc, server=True)
        broker._write_config()
        broker._spawn()
        return broker

    @property
    def etc(self) -> Path:
        return self.folder / "broker"

    @property
    def log_path(self) -> Path:
        return self.etc / "mosquitto.log"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def _write_config(self) -> None:
        etc = self.etc
        shutil.copy(self.ca.ca_path, etc / "ca.pem")
        shutil.copy(self.ca.crl_path, etc / "crl.pem")
        (etc / "acl").write_text(acl_text(self.devices, self.revoked), encoding="utf-8")
        (etc / "mosquitto.conf").write_text(
            "\n".join(
                [
                    "per_listener_settings false",
                    # Sessions survive a restart (saved on SIGTERM): the counting subscriber
                    # keeps its subscription and gets what arrived while it reconnected.
                    "persistence true",
                    f"persistence_location {etc}/",
                    "autosave_interval 0",
                    f"log_dest file {self.log_path}",
                    "log_type error",
                    "log_type warning",
                    "connection_messages false",
                    "allow_anonymous false",
                    f"acl_file {etc / 'acl'}",
                    # The counting subscriber must never be dropped from: no queue limit.
                    "max_queued_messages 0",
                    "max_inflight_messages 0",
                    f"listener {self.port} {HOST}",
                    f"cafile {etc / 'ca.pem'}",
                    f"certfile {etc / 'server.crt'}",
                    f"keyfile {etc / 'server.key'}",
                    f"crlfile {etc / 'crl.pem'}",
                    "require_certificate true",
                    "use_identity_as_username true",
                    "",
                ]
            ),
            encoding="utf-8",
        )
        self._hand_over()

    def _hand_over(self) -> None:
        """As root mosquitto runs as user ``mosquitto``: let it read its own folder."""
        if os.geteuid() != 0:
            return
        try:
            user = pwd.getpwnam("mosquitto")
        except KeyError:
            return
        for path in [self.folder, self.etc, *self.etc.iterdir()]:
            os.chown(path, user.pw_uid, user.pw_gid)
        self.folder.chmod(0o755)

    def _spawn(self) -> None:
        with open(self.folder / "stdout.log", "ab") as out:
            self.proc = subprocess.Popen(
                [mosquitto_binary(), "-c", str(self.etc / "mosquitto.conf")],
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BrokerError(f"mosquitto exited: {self.logs()[-800:]}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise BrokerError("mosquitto did not listen within 10 s")

    def logs(self) -> str:
        text = ""
        for p in (self.folder / "stdout.log", self.log_path):
            if p.exists():
                text += p.read_text(errors="replace")
        return text

    # ------------------------------------------------------------------ controls
    def issue(self, name: str, folder: Path) -> IssuedCert:
        return self.ca.issue(name, folder)

    def reload(self) -> None:
        """Rewrite ACL and CRL and SIGHUP the broker (mosquitto re-reads both)."""
        self._write_config()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGHUP)

    def allows(self, name: str, topic: str | None = None) -> bool:
        """Whether the ACL (now) lets certificate ``name`` publish to ``topic``."""
        topic = topic or f"device/{name}/data"
        return name in self.devices and name not in self.revoked and topic == f"device/{name}/data"

    def revoke(self, issued: IssuedCert) -> None:
        """Revoke a device: CRL entry and ACL lines gone, then reload."""
        self.ca.revoke(issued)
        self.revoked.add(issued.name)
        self.reload()

    def restart(self, down_s: float = 0.0) -> None:
        self.stop()
        if down_s > 0:
            time.sleep(down_s)
        self._spawn()

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def __enter__(self) -> Mosquitto:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
