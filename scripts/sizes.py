#!/usr/bin/env python3
"""Non-test functions over 80 lines and non-test files over 800 lines (issue #32's bar).

Test code is left out: `tests/` folders, `benches/`, and `#[cfg(test)]` modules. Prints
what is over and exits 1 when anything is."""
import glob
import re
import sys

FN_LIMIT, FILE_LIMIT = 80, 800


def strip_tests(text):
    """The file without its #[cfg(test)] modules."""
    out, i = [], 0
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*mod\s+\w+\s*\{", text[i:])
        if not m:
            out.append(text[i:])
            return "".join(out)
        start = i + m.start()
        out.append(text[i:start])
        depth, j = 0, i + m.end() - 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        i = j + 1


def functions(text):
    """(name, lines) of every fn with a body."""
    for m in re.finditer(r"\bfn\s+(\w+)[^;{]*\{", text):
        depth, j = 0, m.end() - 1
        while j < len(text):
            c = text[j]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        yield m.group(1), text[m.start():j].count("\n") + 1


over = False
for path in sorted(glob.glob("**/src/**/*.rs", recursive=True)):
    if path.startswith(("target/", "fuzz/")) or "/tests/" in path:
        continue
    text = strip_tests(open(path, encoding="utf-8").read())
    lines = text.count("\n")
    if lines > FILE_LIMIT:
        over = True
        print(f"{path}: {lines} lines")
    for name, length in functions(text):
        if length > FN_LIMIT:
            over = True
            print(f"{path}: fn {name}: {length} lines")
sys.exit(1 if over else 0)
