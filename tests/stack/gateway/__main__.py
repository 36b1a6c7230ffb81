"""Run the gateway as its own process (for tests that SIGKILL a client or the gateway):

    python -m tests.stack.gateway --dsn postgresql://postgres@127.0.0.1:5432/db --port 54321

Prints ``GATEWAY READY <url>`` on stdout once it serves, then runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .server import Gateway, GatewayConfig


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.stack.gateway", description=__doc__)
    parser.add_argument("--dsn", required=True, help="libpq DSN/URL of the database")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port (printed)")
    parser.add_argument(
        "--storage-dir",
        type=Path,
        default=None,
        help="where object bytes live (default: a temp dir)",
    )
    parser.add_argument("--token-ttl", type=int, default=3600, help="access token lifetime, s")
    parser.add_argument("--bcrypt-rounds", type=int, default=10)
    args = parser.parse_args(argv)
    config = GatewayConfig(
        dsn=args.dsn,
        host=args.host,
        port=args.port,
        storage_dir=args.storage_dir,
        access_token_ttl=args.token_ttl,
        bcrypt_rounds=args.bcrypt_rounds,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    gateway = Gateway(config)
    gateway.start()
    print(f"GATEWAY READY {gateway.url}", flush=True)
    try:
        done.wait()
    finally:
        gateway.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
