"""`python -m nlp.hesitation.build`: train the detector's models from the repo's files into the build cache.

`make run` and `make test` call it; it returns at once when the cache already holds a model for the current data
and code (the file name carries their hash). `--force` retrains anyway.
"""

from __future__ import annotations

import argparse
import sys
import time

from nlp.hesitation import model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.hesitation.build", description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="retrain even when the cache is current")
    args = parser.parse_args(argv)
    if args.force:
        model.cache_path().unlink(missing_ok=True)
    started = time.perf_counter()
    if not model.cache_path().exists():
        sets = model.training_sets()
        print(f"hesitation detector: training on {sum(map(len, sets.values()))} messages from {len(sets)} sources",
              flush=True)
    _, path, trained = model.build(progress=lambda step: print(f"  {step} ({time.perf_counter() - started:.0f} s)",
                                                               flush=True))
    verb = "trained" if trained else "up to date"
    print(f"hesitation detector: {verb}, {path} ({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
