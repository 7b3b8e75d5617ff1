"""Scale-out load (issue 10): webhook throughput and p99 on PostgreSQL with 1 and with 3 app
workers, unpaced, 20 concurrent senders, 10% duplicates — and the count check each time.

    .venv/bin/python bench/scaled_load.py [--deliveries 5000]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)  # the repository, not bench/ (see queue.py)

from bench import webhook_load  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=20)
    args = parser.parse_args()
    ok = True
    for workers in (1, 3):
        ok &= webhook_load.run("postgresql", argparse.Namespace(deliveries=args.deliveries, senders=args.senders,
                                                                 workers=workers), None)
    print("nothing lost or doubled with 1 and 3 workers:", "OK" if ok else "MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
