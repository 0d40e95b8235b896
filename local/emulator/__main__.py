"""`python -m local.emulator [--port N]`: run the emulator in the foreground until Ctrl-C (or SIGTERM)."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading

from local.emulator.server import start_emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.emulator", description=__doc__)
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (default: a free one)")
    parser.add_argument("--quiet", action="store_true", help="do not log each request")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    handle = start_emulator(args.host, args.port, log_requests=not args.quiet)
    print(json.dumps({"url": handle.url, "oidc_issuer": handle.oidc_issuer}), flush=True)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    try:
        stop.wait()
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
