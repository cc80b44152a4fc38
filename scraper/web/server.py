"""Running the web view under uvicorn on a socket the CLI has already bound."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import uvicorn

from scraper.web.app import create_app


def serve(db: Path, sock: socket.socket, *, lock_timeout: float = 5.0) -> None:
    """Serve ``db`` on ``sock`` until SIGINT/SIGTERM. Bound to an IPv4 loopback address, the
    app answers only requests whose Host is a loopback name (no DNS rebinding)."""
    address = sock.getsockname()[0]
    try:
        loopback = ipaddress.ip_address(address).is_loopback and sock.family == socket.AF_INET
    except ValueError:
        loopback = False
    app = create_app(db, lock_timeout=lock_timeout, loopback_only=loopback)
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False,
                            date_header=False)
    uvicorn.Server(config).run(sockets=[sock])
