"""python -m cnn_tui runs the cnn-tui command."""

import sys

from .cli import main

sys.exit(main())
