"""Which processes are the backing servers (Kafka, FerretDB, OpenSearch), found by the port
each listens on, so the soak can sample their CPU and memory beside the services'.

Only read, never signalled: they are shared with everyone on the machine. Their figures
explain the services' (a service waiting on a saturated FerretDB uses little CPU of its own).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from urllib.parse import urlsplit

from shared.settings import SinmunSettings

LISTEN = "0A"  # TCP state LISTEN in /proc/net/tcp


def server_ports(settings: SinmunSettings) -> dict[str, int]:
    kafka = settings.kafka_bootstrap_servers.split(",")[0].rsplit(":", 1)[1]
    return {
        "kafka": int(kafka),
        "ferretdb": urlsplit(settings.mongo_url).port or 27017,
        "opensearch": urlsplit(settings.search_url).port or 9200,
    }


def listening_inodes(ports: set[int]) -> dict[int, int]:
    """Socket inode → port, for the loopback/any listeners on `ports`."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                port = int(fields[1].rsplit(":", 1)[1], 16)
                if fields[3] == LISTEN and port in ports:
                    found[int(fields[9])] = port
    return found


def server_pids(settings: SinmunSettings) -> dict[str, int]:
    """Name → pid of each backing server this machine runs (the ones not found are left out)."""
    ports = server_ports(settings)
    inodes = listening_inodes(set(ports.values()))
    by_port: dict[int, int] = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.scandir(f"/proc/{pid}/fd"):
                target = os.readlink(fd.path)
                if target.startswith("socket:["):
                    port = inodes.get(int(target[8:-1]))
                    if port is not None:
                        by_port.setdefault(port, int(pid))
    return {name: by_port[port] for name, port in ports.items() if port in by_port}
