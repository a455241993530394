"""``python -m hyscale_tasks.cli``: the ``hyscale`` command."""

import sys

from hyscale_tasks.cli import main

sys.exit(main())
