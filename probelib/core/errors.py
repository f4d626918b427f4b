"""The one base class of every error a *user* can cause (a bad parameter, a missing file, a
stale checkpoint). Its message names the problem and the fix in one line; the runner and the
command line print that line and exit with status 2 instead of showing a traceback."""
from __future__ import annotations

__all__ = ["UserError"]


class UserError(Exception):
    """Bad input or a missing resource; ``str(err)`` is one line naming the problem and the fix."""
