"""Entry point of the writer process: ``python -m ivrkit.server.writer_main DB_URL [SPOOL]``.

Records arrive on stdin and acknowledgements leave on stdout, so the process writes nothing
else there: its own messages go to stderr. Kept apart from :mod:`writer_process` so that
running it never imports that module twice.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from multiprocessing.connection import Connection

from ivrkit.server.writer_process import run_child


def main(argv: list[str]) -> int:
    # Ctrl-C reaches every process of the terminal's group; the server decides when this one
    # stops (it closes the pipe once every record is handed over), so the key is not ours.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inbox = Connection(os.dup(0), writable=False)
    outbox = Connection(os.dup(1), readable=False)
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="ivrkit writer: %(levelname)s %(message)s")
    run_child(argv[0], argv[1] if len(argv) > 1 else None, inbox, outbox)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
