"""python -m cnn_tui.cli runs the cnn-tui command, as the old cli.py module did."""

import sys

from .main import main

sys.exit(main())
