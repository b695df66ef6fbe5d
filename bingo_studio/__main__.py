import sys

from bingo_studio.cli import main

sys.exit(main())
