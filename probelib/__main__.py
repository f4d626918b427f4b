"""``python -m probelib probe ...`` (see :mod:`probelib.probing.cli`)."""
import sys

from .probing.cli import main

if __name__ == "__main__":
    sys.exit(main())
