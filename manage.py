#!/usr/bin/env python
"""Developer entry point; ``zhujian`` (zhujian.cli) is the same thing installed as a command."""

import sys

from zhujian.cli import main

if __name__ == "__main__":
    sys.exit(main(["manage.py", *sys.argv[1:]]))
