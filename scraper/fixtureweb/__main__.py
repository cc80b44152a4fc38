"""python -m scraper.fixtureweb [--host H] [--port N] [--root DIR]: serve in the foreground."""

from __future__ import annotations

import argparse
import sys
import threading

from scraper.fixtureweb.server import FixtureWeb


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scraper.fixtureweb", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port (default 0: a free one)")
    parser.add_argument("--root", default=None, help="sites directory (default: the built-in sites)")
    args = parser.parse_args(argv)
    web = FixtureWeb(root=args.root, host=args.host, port=args.port)
    try:
        web.start()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(web.base_url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
