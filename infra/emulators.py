"""Start and stop the local stand-ins for Azure services.

* ``@vercel/cosmosdb-server`` speaks the Cosmos DB NoSQL protocol to the real
  ``azure-cosmos`` SDK. It advertises ``https://localhost:<port>/`` as its endpoint,
  so it runs with its bundled self-signed certificate and clients connect with TLS
  verification off (``PSS_STORE__COSMOS_VERIFY_TLS=false``; never in Azure).
* Azurite provides Storage queues and blobs (well-known development account).

Both are npm packages installed into ``infra/node_modules`` by ``make setup``
(:func:`ensure_node_modules` does it on demand). Used by the dev host and the tests.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

INFRA = Path(__file__).resolve().parent
NODE_BIN = INFRA / "node_modules" / ".bin"

#: The Cosmos DB emulator's published, well-known development key (not a secret).
COSMOS_DEV_KEY = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
#: Azurite's published, well-known development account and key (not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def ensure_node_modules() -> None:
    """Install the npm peers if they are missing (no-op when already installed)."""
    if (NODE_BIN / "cosmosdb-server").exists() and (NODE_BIN / "azurite-queue").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("npm is required for the local emulators (install Node.js 18+)")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=INFRA, check=True)


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 30.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout:.0f}s")


@dataclass
class Emulator:
    """A running emulator process. ``stop()`` ends it; ``restart()`` brings it back
    on the same port (used by the fault-injection tests)."""

    name: str
    port: int
    argv: list[str]
    cwd: Path
    process: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def start(self) -> Emulator:
        log = open(self.cwd / f"{self.name}.log", "ab")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            start_new_session=True,
        )
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """End the emulator and everything it started (its own process group)."""
        if self.process is not None and self.process.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.process is not None:
            # Node may leave workers behind in the group even after the leader exits.
            self._signal_group(signal.SIGKILL)
        self.process = None

    def _signal_group(self, sig: signal.Signals) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None


@dataclass
class CosmosEmulator(Emulator):
    @property
    def endpoint(self) -> str:
        return f"https://localhost:{self.port}/"

    key: str = COSMOS_DEV_KEY


@dataclass
class AzuriteEmulator(Emulator):
    @property
    def connection_string(self) -> str:
        return (
            "DefaultEndpointsProtocol=http;"
            f"AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
            f"QueueEndpoint=http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT};"
        )


def start_cosmos(port: int | None = None, workdir: Path | None = None) -> CosmosEmulator:
    """Start the Cosmos-protocol server (TLS, self-signed) on ``port`` (a free one by default).

    Launched through ``cosmos_keepalive.js`` rather than the package's CLI: the CLI
    cannot turn HTTP keep-alive on, and without it every SDK request pays a fresh TLS
    handshake (about 20x slower under concurrent clients).
    """
    ensure_node_modules()
    port = port or free_port()
    cwd = workdir or Path(tempfile.mkdtemp(prefix="pss-cosmos-"))
    node = shutil.which("node") or "node"
    emu = CosmosEmulator(
        name="cosmosdb-server",
        port=port,
        argv=[node, str(INFRA / "cosmos_keepalive.js"), str(port), str(INFRA)],
        cwd=cwd,
    )
    return emu.start()  # type: ignore[return-value]


def start_azurite(port: int | None = None, workdir: Path | None = None) -> AzuriteEmulator:
    """Start Azurite's queue service in memory on ``port`` (a free one by default)."""
    ensure_node_modules()
    port = port or free_port()
    cwd = workdir or Path(tempfile.mkdtemp(prefix="pss-azurite-"))
    emu = AzuriteEmulator(
        name="azurite-queue",
        port=port,
        argv=[
            str(NODE_BIN / "azurite-queue"),
            "--queuePort",
            str(port),
            "--queueHost",
            "127.0.0.1",
            "--inMemoryPersistence",
            "--skipApiVersionCheck",
            "--disableTelemetry",
            "--silent",
        ],
        cwd=cwd,
    )
    return emu.start()  # type: ignore[return-value]


def main(argv: list[str] | None = None) -> int:
    """``python -m infra.emulators``: start both peers and print the settings that use them."""
    parser = argparse.ArgumentParser(
        prog="python -m infra.emulators",
        description="Start the local Azure peers (Cosmos-protocol server and Azurite queues), print the "
        "environment variables that point the app at them, and stop both on Ctrl-C or SIGTERM.",
    )
    parser.add_argument("--cosmos-port", type=int, help="port for the Cosmos-protocol server (default: a free one)")
    parser.add_argument("--azurite-port", type=int, help="port for Azurite's queue service (default: a free one)")
    args = parser.parse_args(argv)

    # Block the stop signals before anything starts, so sigwait receives them instead of
    # the default handler ending this process and orphaning the node children.
    stop_signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    started: list[Emulator] = []
    try:
        started.append(start_cosmos(args.cosmos_port))
        started.append(start_azurite(args.azurite_port))
        cosmos, azurite = started
        assert isinstance(cosmos, CosmosEmulator) and isinstance(azurite, AzuriteEmulator)
        print("# Local Azure peers are running. In another shell:")
        print("export PSS_STORE__BACKEND=cosmos")
        print(f"export PSS_STORE__COSMOS_ENDPOINT={cosmos.endpoint}")
        print(f"export PSS_STORE__COSMOS_KEY='{cosmos.key}'")
        print("export PSS_STORE__COSMOS_VERIFY_TLS=false")
        print(f"export AzureWebJobsStorage='{azurite.connection_string}'")
        print("make run   # Ctrl-C here stops the peers", flush=True)
        signal.sigwait(stop_signals)
    finally:
        for emu in reversed(started):
            emu.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
