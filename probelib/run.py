"""``python -m probelib.run``: the book's command line (see :mod:`probelib.book.runner`)."""
import sys

from .book.runner import main

if __name__ == "__main__":
    sys.exit(main())
