"""``python -m shared ...``: see :mod:`shared.cli`."""

import sys

from .cli import main

sys.exit(main())
