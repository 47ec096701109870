#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The C++ stand-in for the spec's `unsafe` gate (section 7.8).

Scans production code (libs/, apps/) with comments and string literals removed for banned constructs.
A finding passes only if scripts/ci/unsafe_allowlist.txt has an entry `path | rule | code fragment |
reason` whose fragment occurs on that line. Entries that match nothing are stale and fail too, so the
allowlist stays short and reviewed.
"""
import os
import re
import sys

RULES = [
    ("reinterpret_cast", r"\breinterpret_cast\b", "type punning: confine to reviewed byte/struct views"),
    ("const_cast", r"\bconst_cast\b", "casting away const hides writes to shared data"),
    ("raw-new", r"(?<![\w.>:])new\s+[A-Za-z_:(]", "ownership must be RAII (make_unique/containers)"),
    ("raw-delete", r"(?<![=\w])\s*\bdelete\b\s*(\[\s*\])?\s*[A-Za-z_(*]", "ownership must be RAII"),
    ("c-alloc", r"(?<![\w.>:])(malloc|calloc|realloc|free)\s*\(", "manual memory management"),
    ("c-string", r"(?<![\w.>])(std::|::)?(strcpy|strncpy|strcat|strncat|sprintf|vsprintf|gets|strtok|atoi|atol|atoll|atof)\s*\(",
     "unbounded or unchecked C string functions"),
    ("std-sto", r"\bstd::sto(i|l|ul|ll|ull|f|d|ld)\b", "throws on bad input; use std::from_chars"),
    ("c-memory", r"(?<![\w.>])(std::|::)?(memcpy|memset|memmove)\s*\(", "unchecked sizes; use std::copy/std::fill/secure_wipe"),
    ("shell", r"(?<![\w.>])(std::|::)?(system|popen)\s*\(", "shell injection; spawn with explicit argv"),
    ("strerror", r"\bstrerror(_r)?\s*\(", "not thread-safe; use base::SysError"),
    ("regex", r"std::regex\b|#\s*include\s*<regex>", "ReDoS and crashes on untrusted input"),
    ("c-rand", r"(?<![\w.>])(std::|::)?(rand|srand)\s*\(", "not a CSPRNG"),
    ("throw-in-libs", r"\bthrow\b", "libraries return typed Results; exceptions only at edges"),
    ("wall-clock", r"system_clock::now|\btime\s*\(\s*(nullptr|NULL|0)\s*\)|CLOCK_REALTIME|gettimeofday\s*\(",
     "wall time only through base::Clock (fail closed when unusable)"),
    ("using-namespace-header", r"^\s*using\s+namespace\b", "leaks names into every includer"),
]
HEADER_ONLY = {"using-namespace-header"}
LIBS_ONLY = {"throw-in-libs"}
SOURCE_EXT = (".hpp", ".cpp", ".h", ".cc")


def strip_code(text):
    """Removes comments and string/char literals, keeping line structure."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif c == "R" and text.startswith('R"', i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            k = text.find("(", i + 2)
            delim = text[i + 2:k]
            end = text.find(")" + delim + '"', k)
            end = n if end < 0 else end + len(delim) + 2
            out.append('""' + "\n" * text.count("\n", i, end))
            i = end
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(c + c)
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def load_allowlist(path):
    entries = []
    with open(path, encoding="utf-8") as fh:
        for number, raw in enumerate(fh, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 4 or not all(parts):
                sys.exit(f"{path}:{number}: expected 'path | rule | code fragment | reason'")
            entries.append({"path": parts[0], "rule": parts[1], "fragment": parts[2], "reason": parts[3],
                            "line": number, "used": False})
    return entries


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.getcwd())
    allow = load_allowlist(os.path.join(root, "scripts", "ci", "unsafe_allowlist.txt"))
    compiled = [(name, re.compile(pattern), why) for name, pattern, why in RULES]
    findings, scanned = [], 0
    for top in ("libs", "apps"):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith(SOURCE_EXT):
                    continue
                path = os.path.join(dirpath, name)
                rel = os.path.relpath(path, root)
                scanned += 1
                with open(path, encoding="utf-8", errors="replace") as fh:
                    original = fh.read()
                code_lines = strip_code(original).split("\n")
                raw_lines = original.split("\n")
                for index, line in enumerate(code_lines):
                    for rule, regex, why in compiled:
                        if rule in HEADER_ONLY and not name.endswith((".hpp", ".h")):
                            continue
                        if rule in LIBS_ONLY and top != "libs":
                            continue
                        if rule == "raw-delete" and re.search(r"=\s*delete\b", line):
                            continue
                        if not regex.search(line):
                            continue
                        raw = raw_lines[index] if index < len(raw_lines) else line
                        match = None
                        for entry in allow:
                            if entry["path"] == rel and entry["rule"] == rule and entry["fragment"] in raw:
                                match = entry
                        if match:
                            match["used"] = True
                        else:
                            findings.append(f"{rel}:{index + 1}: [{rule}] {why}: {raw.strip()}")
    stale = [f"unsafe_allowlist.txt:{e['line']}: stale entry (matches nothing): {e['path']} | {e['rule']} | {e['fragment']}"
             for e in allow if not e["used"]]
    if scanned == 0:
        print("unsafe: scanned zero files; refusing to pass vacuously", file=sys.stderr)
        return 1
    for line in findings + stale:
        print(line, file=sys.stderr)
    if findings or stale:
        print(f"unsafe: {len(findings)} banned construct(s), {len(stale)} stale allowlist entr(ies) in {scanned} files",
              file=sys.stderr)
        return 1
    print(f"unsafe: {scanned} files, {sum(1 for e in allow if e['used'])} reviewed allowlist entries, no other banned constructs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
