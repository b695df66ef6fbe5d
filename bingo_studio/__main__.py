import os
import sys

try:
    from bingo_studio.cli import entry
except KeyboardInterrupt:  # Ctrl-C while starting: nothing was written yet
    print("bingo-studio: interrupted while starting; nothing was changed", file=sys.stderr, flush=True)
    os._exit(130)  # not sys.exit: finalising a half-imported torch can end the process by SIGINT instead

entry()
