"""Real Kafka, FerretDB and OpenSearch of a test's own, to stop and start in the middle of work.

The servers of `make test` are shared by every test module; a test that restarts one would
pull it from under the others. These are further instances of the same `deploy/local`
scripts, with their own ports and their own run folder (`SINMUN_LOCAL_DIR`), sharing only the
download cache, so stopping one is exactly what an operator's restart does: the process goes
away (SIGTERM, then SIGKILL after 30 s) and comes back on the same port with the same data.
"""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path

from bench.service_process import free_port

ROOT = Path(__file__).parents[2]
SCRIPTS = ROOT / "deploy" / "local"
SHARED_CACHE = ROOT / ".local" / "cache"
SERVERS = ("kafka", "ferretdb", "opensearch")
HEAP = "512m"  # each JVM's; the shared servers keep running beside these


def free_port_between(low: int, high: int) -> int:
    """A free loopback port in low..high (OpenSearch's runner takes only ports up to 9299)."""
    for port in range(high, low, -1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {low}..{high}")


class PrivateServers:
    """Kafka, FerretDB and OpenSearch under `folder`, started, stopped and restarted by name."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        cache = folder / "cache"
        if not cache.exists():
            cache.symlink_to(SHARED_CACHE, target_is_directory=True)
        self._env = {
            **os.environ,
            "SINMUN_LOCAL_DIR": str(folder),
            "KAFKA_PORT": str(free_port()),
            "KAFKA_CONTROLLER_PORT": str(free_port()),
            "KAFKA_HEAP": HEAP,
            "SINMUN_FERRETDB_PORT": str(free_port()),
            "SINMUN_OPENSEARCH_PORT": str(free_port_between(8000, 9199)),
            "SINMUN_OPENSEARCH_HEAP": HEAP,
        }

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            ["bash", *args], env=self._env, capture_output=True, text=True, timeout=240,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")

    def start(self, *names: str) -> None:
        """Start the named servers (all by default) in parallel and wait until they answer."""
        self._run(str(SCRIPTS / "up.sh"), *(names or SERVERS))

    def stop(self, name: str) -> None:
        self._run(str(SCRIPTS / f"{name}.sh"), "stop")

    def restart(self, name: str) -> None:
        self.stop(name)
        self.start(name)

    def stop_all(self) -> None:
        for name in SERVERS:
            subprocess.run(
                ["bash", str(SCRIPTS / f"{name}.sh"), "stop"],
                env=self._env, capture_output=True, timeout=120, check=False,
            )  # fmt: skip

    def settings(self) -> Mapping[str, str]:
        """The SINMUN_* addresses of the servers that are up, as deploy/local records them."""
        values: dict[str, str] = {}
        env_file = self.folder / "servers.env"
        for line in env_file.read_text("utf-8").splitlines():
            if line.startswith("export ") and "=" in line:
                key, value = line.removeprefix("export ").split("=", 1)
                values[key] = value
        return values
