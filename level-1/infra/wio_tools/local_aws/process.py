"""Starting, restarting and stopping the MiniStack process: :class:`LocalAws`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from wio_tools.local_aws.config import (
    CA_PATH,
    HOST,
    READY_PATH,
    REGION,
    LocalAwsError,
    default_state_file,
)
from wio_tools.local_aws.instance import LocalAwsInstance
from wio_tools.local_aws.system import (
    _http_get,
    _pid_alive,
    _pid_is_ministack,
    _port_is_free,
    free_port,
)


class LocalAws(LocalAwsInstance):
    """A MiniStack process on 127.0.0.1; also a context manager that stops what it started."""

    @classmethod
    def load(cls, state_file: Path | str | None = None) -> LocalAws | None:
        """The instance recorded in the state file, or None when there is none."""
        path = Path(state_file) if state_file else default_state_file()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return cls(
            gateway_port=int(data["gateway_port"]),
            mqtt_port=int(data["mqtt_port"]),
            pid=int(data["pid"]),
            log_path=Path(data["log_path"]),
            state_file=path,
            state_dir=Path(data["state_dir"]),
            ca_path=Path(data["ca_path"]),
            region=str(data.get("region", REGION)),
            host=str(data.get("host", HOST)),
            started_at=float(data.get("started_at", 0.0)),
            owned=False,
        )

    # ----------------------------------------------------------------- lifecycle
    @classmethod
    def start(
        cls,
        state_file: Path | str | None = None,
        *,
        gateway_port: int | None = None,
        mqtt_port: int | None = None,
        reuse: bool = False,
        fresh: bool = True,
        timeout: float = 90.0,
        extra_env: dict[str, str] | None = None,
    ) -> LocalAws:
        """Start MiniStack in the background and wait until the API and the broker are ready.

        ``reuse=True`` returns the healthy instance already recorded in ``state_file`` (the CLI's
        idempotent ``start``); otherwise a live recorded instance is an error, so two test
        sessions never share one by accident. ``fresh=False`` keeps the persisted state.
        """
        path = Path(state_file).resolve() if state_file else default_state_file()
        existing = cls.load(path)
        if existing is not None and existing.is_running():
            if reuse and existing.is_healthy():
                return existing
            if reuse:
                raise LocalAwsError(
                    f"MiniStack (pid {existing.pid}) from {path} is running but not healthy; "
                    f"run `wio-local-aws stop` and start again (log: {existing.log_path})"
                )
            raise LocalAwsError(
                f"a local AWS is already running (pid {existing.pid}, {existing.endpoint_url}); "
                f"stop it with `wio-local-aws stop --state-file {path}` or use another state file"
            )
        if existing is not None:
            path.unlink(missing_ok=True)  # stale: the process is gone

        local_dir = path.parent
        local_dir.mkdir(parents=True, exist_ok=True)
        gw = gateway_port or free_port()
        mq = mqtt_port or free_port()
        while mq == gw:
            mq = free_port()
        inst = cls(
            gateway_port=gw,
            mqtt_port=mq,
            pid=0,
            log_path=local_dir / f"ministack-{gw}.log",
            state_file=path,
            state_dir=local_dir / "ministack-state",
            ca_path=local_dir / "ministack-ca.pem",
        )
        if fresh:
            shutil.rmtree(inst.state_dir, ignore_errors=True)
        inst._spawn(timeout=timeout, extra_env=extra_env, append_log=False)
        return inst

    def _spawn(self, *, timeout: float, extra_env: dict[str, str] | None, append_log: bool) -> None:
        if not _port_is_free(self.gateway_port) or not _port_is_free(self.mqtt_port):
            # Right after a stop the kernel may still hold the ports for a moment.
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                if _port_is_free(self.gateway_port) and _port_is_free(self.mqtt_port):
                    break
                time.sleep(0.2)
            else:
                raise LocalAwsError(
                    f"port {self.gateway_port} or {self.mqtt_port} on 127.0.0.1 is in use; "
                    "stop whatever holds it or start without fixed ports"
                )
        self.state_dir.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            {
                "BIND_HOST": self.host,
                "GATEWAY_PORT": str(self.gateway_port),
                "IOT_MTLS_PORT": str(self.mqtt_port),
                "MINISTACK_REGION": self.region,
                "MINISTACK_HOST": "localhost",
                "PERSIST_STATE": "1",
                "STATE_DIR": str(self.state_dir),
                "LOG_LEVEL": os.environ.get("WIO_MINISTACK_LOG_LEVEL", "INFO"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("EDGE_PORT", None)
        if extra_env:
            env.update(extra_env)
        log_fh = open(self.log_path, "ab" if append_log else "wb")
        kwargs: dict[str, Any] = {}
        if sys.platform == "win32":
            flag = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200)
            kwargs["creationflags"] = flag
        else:
            kwargs["start_new_session"] = True
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "ministack"],
                stdin=subprocess.DEVNULL,
                stdout=log_fh,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=str(self.state_dir),
                **kwargs,
            )
        finally:
            log_fh.close()
        self.pid = self._proc.pid
        self.started_at = time.time()
        self.owned = True
        try:
            self._write_state()
            self._wait_ready(timeout)
            self._save_ca()
        except BaseException:
            self._terminate()
            self.state_file.unlink(missing_ok=True)
            raise

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                raise LocalAwsError(
                    f"MiniStack exited with code {self._proc.returncode} during startup.\n"
                    f"Last log lines ({self.log_path}):\n{self.log_tail()}"
                )
            try:
                status, body = _http_get(self.endpoint_url + READY_PATH, timeout=1.0)
                last = f"HTTP {status} {body[:200]!r}"
                if status == 200:
                    state = json.loads(body).get("iot_mtls")
                    if state == "listening":
                        return
                    if state in ("degraded", "disabled"):
                        raise LocalAwsError(
                            f"MiniStack's IoT mTLS broker is {state} (is the `cryptography` "
                            f"package installed?). Log: {self.log_path}\n{self.log_tail()}"
                        )
            except (OSError, ValueError) as e:
                last = str(e)
            time.sleep(0.2)
        raise LocalAwsError(
            f"MiniStack did not become ready within {timeout:.0f}s ({last}).\n"
            f"Last log lines ({self.log_path}):\n{self.log_tail()}"
        )

    def _save_ca(self) -> None:
        status, body = _http_get(self.endpoint_url + CA_PATH, timeout=10.0)
        if status != 200 or b"BEGIN CERTIFICATE" not in body:
            raise LocalAwsError(f"could not fetch MiniStack's IoT CA from {CA_PATH}: HTTP {status}")
        self.ca_path.write_bytes(body)

    def ca_pem(self) -> str:
        """MiniStack's local CA (the broker's issuer), to verify the mTLS listener."""
        return self.ca_path.read_text(encoding="ascii")

    def _terminate(self, grace: float = 20.0) -> None:
        """SIGTERM the process group (MiniStack saves persisted state), wait, then SIGKILL."""
        pid = self.pid
        if pid <= 0:
            return
        if self._proc is None and not (_pid_alive(pid) and _pid_is_ministack(pid)):
            return
        if sys.platform == "win32":
            if self._proc is not None:
                self._proc.terminate()
            else:
                subprocess.run(["taskkill", "/PID", str(pid), "/T", "/F"], capture_output=True)
        else:
            try:
                os.killpg(pid, signal.SIGTERM)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if self._proc is not None:
                if self._proc.poll() is not None:
                    break
            elif not _pid_alive(pid):
                break
            time.sleep(0.1)
        else:
            if sys.platform == "win32":
                if self._proc is not None:
                    self._proc.kill()
            else:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if sys.platform != "win32":
            # Children left in the group (e.g. Lambda workers) go too.
            try:
                os.killpg(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._proc is not None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            self._proc = None

    def stop(self) -> None:
        """Stop the process group and remove the state file. Safe to call twice."""
        self._terminate()
        self.state_file.unlink(missing_ok=True)
        self.pid = 0

    def restart(self, timeout: float = 90.0, down_seconds: float = 0.0) -> None:
        """Stop gracefully and start again on the same ports with the persisted state.

        ``down_seconds`` keeps the emulator down that long (an outage, for fault tests).
        """
        self._terminate()
        if down_seconds > 0:
            time.sleep(down_seconds)
        self._spawn(timeout=timeout, extra_env=None, append_log=True)

    def kill(self) -> None:
        """Crash it: SIGKILL without a chance to persist (state since start is lost)."""
        if self.pid > 0 and sys.platform != "win32":
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        elif self._proc is not None:
            self._proc.kill()
        if self._proc is not None:
            self._proc.wait(timeout=10)
            self._proc = None

    def __enter__(self) -> LocalAws:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.owned:
            self.stop()
