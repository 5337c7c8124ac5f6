"""The capacity benchmark: `fitcoach capacity` under its own name, beside the other benches.

    uv run python bench/capacity.py [--athletes 200] [--days 2] [--find-max] [--json FILE] ...

Every option is `fitcoach capacity`'s (see docs/capacity.md); this only forwards them.
"""

from __future__ import annotations

import sys

from fitcoach.cli import main

if __name__ == "__main__":  # the strategies run in spawned processes, which import this
    sys.exit(main(["capacity", *sys.argv[1:]]))
