"""Serving a dataset in the FiftyOne App until the user stops it, and stopping the server it started."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable
from urllib.parse import quote

import fiftyone as fo

from cvpair.errors import CvpairError


class PortInUseError(CvpairError):
    """The App's port is taken: FiftyOne would silently attach to whatever server answers there."""


def app_url(dataset: fo.Dataset, address: str, port: int) -> str:
    """The App page that opens `dataset`."""
    return f"http://{address}:{port}/datasets/{quote(dataset.name, safe='')}"


def check_port_free(address: str, port: int) -> None:
    """Raise PortInUseError if something already listens on address:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except OSError as error:
            raise PortInUseError(f"cannot serve the App on {address}:{port}: {error.strerror}") from error


def serve(dataset: fo.Dataset, *, address: str, port: int, on_ready: Callable[[str], None]) -> None:
    """Launch the App on `dataset`, call `on_ready(url)`, and block until Ctrl-C or SIGTERM.

    The App server is a FiftyOne service process; closing the session stops it (FiftyOne's database
    service stops by itself once its last client process exits).
    """
    # Handlers first: a signal during the launch must stop us too. A command started in the background of
    # a script inherits SIGINT ignored, so take both signals back explicitly.
    previous = {signum: signal.signal(signum, _interrupt) for signum in (signal.SIGINT, signal.SIGTERM)}
    session = None
    try:
        check_port_free(address, port)
        session = fo.launch_app(dataset, remote=True, address=address, port=port)
        on_ready(app_url(dataset, address, port))
        session.wait(-1)
    except KeyboardInterrupt:
        pass
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if session is not None:
            session.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
