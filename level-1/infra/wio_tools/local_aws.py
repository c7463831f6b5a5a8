"""Local AWS for wio-terminal-aws-connect: MiniStack on 127.0.0.1, on free ports.

MiniStack (PyPI ``ministack``) emulates the AWS APIs on one HTTP "gateway" port and runs an
MQTT broker with mutual TLS (the IoT data plane) on a second port. This module starts it in the
background, waits until both are ready, records what it started in a state file, and stops
exactly that process group again.

    wio-local-aws start            # idempotent: reuses a healthy running instance
    eval "$(wio-local-aws env)"    # point the AWS CLI, boto3 and wio-sim at it
    wio-local-aws status
    wio-local-aws stop             # idempotent

Python:

    with LocalAws.start(state_file=tmp / "state.json") as aws:
        boto3.client("iot", **aws.boto3_kwargs())
        aws.restart()              # same ports, state kept (PERSIST_STATE=1)
        aws.log_text()             # MiniStack's log, e.g. to find rule failures

Notes:
- ``BIND_HOST=127.0.0.1`` keeps the gateway on loopback, but MiniStack 1.5.33's IoT mTLS
  listener binds all interfaces whatever ``BIND_HOST`` says. We pick a free high port for it
  and only ever connect to 127.0.0.1. Nothing here is meant for a shared network.
- State (things, certificates, DynamoDB items, the local CA) survives ``restart()`` because we
  run with ``PERSIST_STATE=1`` and a private ``STATE_DIR``; MiniStack writes it on a graceful
  shutdown (SIGTERM). A fresh ``start`` clears that directory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import TracebackType
from typing import Any

REGION = "ap-northeast-1"
HOST = "127.0.0.1"
LEVEL1_DIR = Path(__file__).resolve().parents[2]
DEFAULT_LOCAL_DIR = LEVEL1_DIR / ".local"
DEFAULT_STATE_FILE = DEFAULT_LOCAL_DIR / "state.json"
STATE_FILE_ENV = "WIO_LOCAL_STATE"
READY_PATH = "/_ministack/ready"
HEALTH_PATH = "/_ministack/health"
CA_PATH = "/_ministack/iot/ca.pem"
DUMMY_ACCESS_KEY = "test"
DUMMY_SECRET_KEY = "test"


class LocalAwsError(RuntimeError):
    """Local AWS could not be started, found or stopped; the message says what to do."""


def default_state_file() -> Path:
    """The state file: $WIO_LOCAL_STATE, else level-1/.local/state.json."""
    env = os.environ.get(STATE_FILE_ENV)
    return Path(env).expanduser().resolve() if env else DEFAULT_STATE_FILE


def free_port(host: str = HOST) -> int:
    """A TCP port that is free on ``host`` and on all interfaces (the mTLS listener binds both)."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = int(s.getsockname()[1])
        if port < 20000:
            continue
        if _port_is_free(port):
            return port
    raise LocalAwsError("could not find a free TCP port on 127.0.0.1")


def _port_is_free(port: int) -> bool:
    for bind_host in (HOST, "0.0.0.0"):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            if sys.platform != "win32":
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((bind_host, port))
            except OSError:
                return False
    return True


def _http_get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (loopback only)
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as e:
        return int(e.code), e.read()


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":
        out = subprocess.run(
            ["tasklist", "/FI", f"PID eq {pid}", "/NH"], capture_output=True, text=True
        ).stdout
        return str(pid) in out
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); reap it if it is ours.
    try:
        wpid, _ = os.waitpid(pid, os.WNOHANG)
        if wpid == pid:
            return False
    except ChildProcessError:
        pass
    stat = Path(f"/proc/{pid}/stat")
    if stat.exists():
        try:
            return stat.read_text().split(") ")[-1].split()[0] != "Z"
        except OSError:
            return False
    return True


def _pid_is_ministack(pid: int) -> bool:
    """Guard against signalling a recycled PID: the command line must mention ministack."""
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        try:
            return b"ministack" in cmdline.read_bytes()
        except OSError:
            return False
    if sys.platform == "win32":
        return True
    out = subprocess.run(["ps", "-p", str(pid), "-o", "command="], capture_output=True, text=True)
    return "ministack" in out.stdout


@dataclass
class LocalAws:
    """A MiniStack process on 127.0.0.1; also a context manager that stops what it started."""

    gateway_port: int
    mqtt_port: int
    pid: int
    log_path: Path
    state_file: Path
    state_dir: Path
    ca_path: Path
    region: str = REGION
    host: str = HOST
    started_at: float = field(default_factory=time.time)
    owned: bool = True
    _proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    # ----------------------------------------------------------------- properties
    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def mqtt_host(self) -> str:
        return self.host

    def env(self) -> dict[str, str]:
        """Environment that points the AWS CLI, boto3, cdk, wio-provision and wio-sim here."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": DUMMY_ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": DUMMY_SECRET_KEY,
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_PAGER": "",
            "WIO_MQTT_HOST": self.host,
            "WIO_MQTT_PORT": str(self.mqtt_port),
            "WIO_MQTT_CA": str(self.ca_path),
            STATE_FILE_ENV: str(self.state_file),
        }

    def boto3_kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``boto3.client(service, **kwargs)``."""
        return {
            "endpoint_url": self.endpoint_url,
            "region_name": self.region,
            "aws_access_key_id": DUMMY_ACCESS_KEY,
            "aws_secret_access_key": DUMMY_SECRET_KEY,
        }

    def client(self, service: str) -> Any:
        """A boto3 client pointed here (``aws.client("iot")``)."""
        import boto3

        return boto3.session.Session().client(service, **self.boto3_kwargs())  # type: ignore

    def resource(self, service: str) -> Any:
        """A boto3 resource pointed here (``aws.resource("dynamodb").Table(name)``)."""
        import boto3

        return boto3.session.Session().resource(service, **self.boto3_kwargs())  # type: ignore

    def log_text(self) -> str:
        """MiniStack's whole log so far (tests grep it for rule failures)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def is_running(self) -> bool:
        return _pid_alive(self.pid)

    def is_healthy(self) -> bool:
        if not self.is_running():
            return False
        try:
            status, body = _http_get(self.endpoint_url + HEALTH_PATH)
        except OSError:
            return False
        if status != 200:
            return False
        try:
            return bool(json.loads(body).get("iot_mtls") == "listening")
        except ValueError:
            return False

    # ----------------------------------------------------------------- state file
    def to_state(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for f in fields(self):
            if f.name in ("_proc", "owned"):
                continue
            value = getattr(self, f.name)
            data[f.name] = str(value) if isinstance(value, Path) else value
        data["endpoint_url"] = self.endpoint_url
        data["mqtt_host"] = self.mqtt_host
        return data

    def _write_state(self) -> None:
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.to_state(), indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.state_file)

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


# --------------------------------------------------------------------------- CLI
def _format_env(env: dict[str, str], shell: str) -> str:
    lines = []
    for key, value in env.items():
        if shell == "powershell":
            lines.append(f"$env:{key} = '{value.replace(chr(39), chr(39) * 2)}'")
        elif shell == "cmd":
            lines.append(f"set {key}={value}")
        else:
            lines.append(
                f"export {key}='{value.replace(chr(39), chr(39) + chr(92) + chr(39) * 2)}'"
            )
    return "\n".join(lines)


def _default_shell() -> str:
    return "powershell" if sys.platform == "win32" else "sh"


def _eval_hint(shell: str) -> str:
    if shell == "powershell":
        return "wio-local-aws env --shell powershell | Invoke-Expression"
    if shell == "cmd":
        return "for /f \"delims=\" %i in ('wio-local-aws env --shell cmd') do %i"
    return 'eval "$(wio-local-aws env)"'


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wio-local-aws",
        description="Start/stop local AWS (MiniStack) on 127.0.0.1 on free ports.",
    )
    parser.add_argument(
        "--state-file",
        type=Path,
        default=None,
        help=f"state file (default ${STATE_FILE_ENV} or {DEFAULT_STATE_FILE})",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_start = sub.add_parser("start", help="start (or reuse) local AWS and wait until ready")
    p_start.add_argument("--gateway-port", type=int, default=None)
    p_start.add_argument("--mqtt-port", type=int, default=None)
    p_start.add_argument("--timeout", type=float, default=90.0)
    p_start.add_argument("--keep-state", action="store_true", help="keep persisted state")
    sub.add_parser("stop", help="stop the recorded instance (no-op if none)")
    sub.add_parser("status", help="print the recorded instance and whether it is healthy")
    p_env = sub.add_parser("env", help="print environment variables that point tools here")
    p_env.add_argument("--shell", choices=["sh", "powershell", "cmd"], default=_default_shell())
    args = parser.parse_args(argv)
    state_file = args.state_file.resolve() if args.state_file else default_state_file()

    if args.command == "start":
        already = LocalAws.load(state_file)
        try:
            aws = LocalAws.start(
                state_file,
                gateway_port=args.gateway_port,
                mqtt_port=args.mqtt_port,
                reuse=True,
                fresh=not args.keep_state,
                timeout=args.timeout,
            )
        except LocalAwsError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        verb = "already running" if already and already.pid == aws.pid else "started"
        print(
            f"local AWS {verb}: pid {aws.pid}, API {aws.endpoint_url}, "
            f"MQTT/mTLS {aws.mqtt_host}:{aws.mqtt_port}, region {aws.region}",
            file=sys.stderr,
        )
        print(f"  log:   {aws.log_path}", file=sys.stderr)
        print(f"  state: {aws.state_file}", file=sys.stderr)
        print(f"  point tools at it: {_eval_hint(_default_shell())}", file=sys.stderr)
        return 0

    aws_or_none = LocalAws.load(state_file)
    if args.command == "stop":
        if aws_or_none is None:
            print("local AWS is not running (no state file)", file=sys.stderr)
            return 0
        pid = aws_or_none.pid
        aws_or_none.stop()
        print(f"local AWS stopped (pid {pid})", file=sys.stderr)
        return 0
    if args.command == "status":
        if aws_or_none is None:
            print("stopped")
            return 3
        healthy = aws_or_none.is_healthy()
        info = aws_or_none.to_state()
        info["running"] = aws_or_none.is_running()
        info["healthy"] = healthy
        print(json.dumps(info, indent=2))
        return 0 if healthy else 3
    if args.command == "env":
        if aws_or_none is None or not aws_or_none.is_running():
            print(
                "error: local AWS is not running; start it with `wio-local-aws start` "
                "(or `make -C level-1 up`)",
                file=sys.stderr,
            )
            return 1
        print(_format_env(aws_or_none.env(), args.shell))
        return 0
    parser.error(f"unknown command {args.command}")
    return 2


if __name__ == "__main__":
    sys.exit(main())
