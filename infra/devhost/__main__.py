"""``python -m infra.devhost``: run the function app in the foreground, like ``func start``."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from .errors import DevHostError
from .host import DEFAULT_MAX_BODY, DevHost


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m infra.devhost",
        description="Run the Azure Functions app locally (HTTP routes, queue triggers, timers).",
    )
    p.add_argument("--app", default="function_app:app", help="module:attribute of the FunctionApp")
    p.add_argument("--app-root", default=".", help="folder with function_app.py, host.json, local.settings.json")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=None, help="port (default 7071 or Host.LocalHttpPort)")
    p.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, help="largest request body in bytes")
    p.add_argument(
        "--queue-backend",
        choices=("auto", "inprocess", "azurite"),
        default="auto",
        help="auto: from AzureWebJobsStorage (unset → in-process)",
    )
    p.add_argument("--settings", default=None, help="local.settings.json to load (default: in --app-root)")
    p.add_argument("--no-timers", action="store_true", help="do not fire timers on schedule")
    p.add_argument("--state-dir", default=None, help="keep timer schedule status here (useMonitor)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an app setting for this run (wins over local.settings.json); repeatable",
    )
    p.add_argument("--log-level", default="INFO", choices=("DEBUG", "INFO", "WARNING", "ERROR"))
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    overrides: dict[str, str] = {}
    for item in args.set:
        name, eq, value = item.partition("=")
        if not eq or not name:
            print(f"devhost: --set expects NAME=VALUE, got {item!r}", file=sys.stderr)
            return 2
        overrides[name] = value
    logging.basicConfig(
        level=args.log_level, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.log_level != "DEBUG":
        # The Azure SDK logs every storage request at INFO.
        logging.getLogger("azure").setLevel(logging.WARNING)
    host = DevHost(
        args.app,
        app_root=Path(args.app_root),
        host=args.host,
        port=7071 if args.port is None else args.port,
        queue_backend=args.queue_backend,
        settings_file=args.settings,
        max_body=args.max_body,
        timers=not args.no_timers,
        state_dir=args.state_dir,
        env=overrides,
    )
    try:
        host.start()
    except DevHostError as exc:
        print(f"devhost: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"devhost: cannot listen on {args.host}:{args.port or 7071}: {exc.strerror}", file=sys.stderr)
        return 2

    assert host.keys is not None
    keys = host.keys.describe()
    out = sys.stdout
    print(f"Dev host for {args.app} (root {host.app_root})", file=out)
    if host.settings_source:
        print(f"Settings: {host.settings_source}", file=out)
    print(f"Function key: {keys['function']}", file=out)
    print(f"Master key:   {keys['master']}", file=out)
    for line in host.queue_summary():
        print(f"Queue {line}", file=out)
    print("\nFunctions:\n", file=out)
    for line in host.route_lines():
        print(f"        {line}", file=out)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"Warning: {args.host} is reachable from other machines; keys are the only guard", file=out)
    print(f"\nListening on {host.base_url} (Ctrl-C to stop)", file=out, flush=True)

    stopping = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stopping.is_set():
            print("\nForced exit.", file=out, flush=True)
            os._exit(130)  # second Ctrl-C: do not wait for in-flight work
        stopping.set()
        print("\nStopping: finishing in-flight work...", file=out, flush=True)
        threading.Thread(target=host.stop, name="devhost-stop").start()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    host.wait()
    print("Stopped.", file=out, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
