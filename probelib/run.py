"""``python -m probelib.run``: the book's command line (see :mod:`probelib.build.runner`)."""
import sys

from .build.runner import main

if __name__ == "__main__":
    sys.exit(main())
