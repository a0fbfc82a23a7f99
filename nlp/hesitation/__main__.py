"""CLI: `python -m nlp.hesitation FILE.jsonl [--eval]` (`-` reads stdin).

Reads JSON lines with a "text" key and writes one JSON line per input with text, level, reason, score and cues.
With --eval the input must also carry gold "level" and "reason"; a metrics table is printed instead.
Exit status 2 on a missing file or a line that is not a JSON object with a string "text" (message names file:line).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import TextIO

EXIT_USAGE = 2


class InputError(Exception):
    pass


def _read(stream: TextIO, name: str, need_labels: bool) -> Iterator[dict]:
    for lineno, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name}:{lineno}: not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise InputError(f'{name}:{lineno}: expected a JSON object with a string "text"')
        if need_labels and not ({"level", "reason"} <= row.keys()):
            raise InputError(f'{name}:{lineno}: --eval needs "level" and "reason" on every line')
        yield row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp.hesitation", description=__doc__.splitlines()[0])
    parser.add_argument("file", help="JSON lines with a 'text' key, or - for stdin")
    parser.add_argument("--eval", action="store_true", help="print metrics against gold level/reason labels")
    args = parser.parse_args(argv)

    try:
        if args.file == "-":
            rows = list(_read(sys.stdin, "<stdin>", args.eval))
        else:
            with open(args.file, encoding="utf-8") as fh:
                rows = list(_read(fh, args.file, args.eval))
    except FileNotFoundError:
        print(f"error: {args.file}: no such file", file=sys.stderr)
        return EXIT_USAGE
    except (InputError, UnicodeDecodeError, IsADirectoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE

    from nlp.hesitation import get_detector  # after input checks, so a bad file fails fast without loading

    detections = get_detector().detect_many([r["text"] for r in rows])
    if args.eval:
        from nlp.hesitation.metrics import evaluate, format_report

        report = evaluate([(r["level"], r["reason"]) for r in rows], [(d.level, d.reason) for d in detections])
        print(format_report(report))
        return 0
    out = sys.stdout
    for row, det in zip(rows, detections):
        out.write(json.dumps({"text": row["text"], **det.as_dict()}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
