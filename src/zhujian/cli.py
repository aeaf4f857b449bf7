"""The ``zhujian`` command: Django's management commands under one name.

``zhujian demo`` (seed and run everything), ``zhujian serve`` (gunicorn), ``zhujian worker``,
``zhujian seed``, ``zhujian audit verify`` and every stock command (``zhujian migrate``, …).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhujian.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv if argv is None else argv)
    execute_from_command_line(["zhujian", *args[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
