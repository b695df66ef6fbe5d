import sys

try:
    from bingo_studio.cli import main
except KeyboardInterrupt:  # Ctrl-C while starting: nothing was written yet
    print("bingo-studio: interrupted while starting; nothing was changed", file=sys.stderr)
    sys.exit(130)

sys.exit(main())
