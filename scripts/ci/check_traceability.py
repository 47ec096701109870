#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Machine check of docs/traceability.md (spec section 10) and docs/phase1-implementation.md (sections 1-12).

Every row P1-01..P1-30 must appear exactly once in the table whose header starts with `row`, and
each row (and each row of the "running system" table after it) must name, in backticks:
  * code:    paths that exist (a bare file name is looked up under the directory cited before it
             in the same cell; globs such as `libs/*` must match something); at least one;
  * proof:   tests that exist: a ctest name (rustynet_add_test / add_test in tests/), a gtest
             `Suite.Name` / `Suite.*` / `Suite.Prefix*` (TEST, TEST_F, TEST_P, TYPED_TEST in
             tests/), a suite name, a selftest case (scripts/ci/selftest.sh), an e2e case
             (tests/e2e/e2e_mesh_test.sh), an acceptance checklist or row (scripts/acceptance.sh),
             or a script under scripts/ or tests/; at least one, and no cited name may be unknown;
  * command: runnable commands: `ctest -R REGEX` whose regex selects at least one ctest name,
             `ctest -L LABEL` with a label some test carries, an executable script of the tree
             (`scripts/...`, `tests/...`, `bash FILE`, `python3 FILE`); at least one;
  * status:  `done`, or `partial (...)` / `open (...)` saying what is missing.
docs/phase1-implementation.md must have the spec's sections `## 1)` .. `## 12)` in order and a
definition-of-done table (first column `#`) with items 1..14, each with a status, evidence files,
tests and a command checked by the same rules.
Exit 1 listing every problem; nothing passes vacuously (no rows, no tests found = failure).

  check_traceability.py [ROOT]        check ROOT's docs/traceability.md and docs/phase1-implementation.md
                                      (default ROOT: the checkout this script is in)
  check_traceability.py --self-test   inject one fault at a time into a copy; each must be caught
  check_traceability.py --with-self-test [ROOT]   both (what scripts/ci/docs.sh runs)
"""
import fnmatch
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

ROW_IDS = [f"P1-{n:02d}" for n in range(1, 31)]
DOD_ITEMS = 14  # spec section 12
GTEST_RE = re.compile(r'^\s*(?:TYPED_)?TEST(?:_F|_P)?\(\s*(\w+)\s*,\s*(\w+)\s*\)', re.M)
CTEST_RE = re.compile(r'(?:rustynet_add_test\(\s*|add_test\(\s*NAME\s+)([A-Za-z0-9_]+)\b')
LABELS_RE = re.compile(r'LABELS\s+"?([A-Za-z0-9_; ]+)"?')
SELFTEST_RE = re.compile(r'^\s*expect_failure\s+([\w-]+)\s', re.M)
E2E_RE = re.compile(r'^readonly ALL_CASES="([^"]+)"', re.M)
STATUS_RE = re.compile(r'^(done\b.*|(partial|open)\s*\((.+)\))$')


def walk_files(root, top, suffixes=None, names=None):
    for dirpath, dirnames, files in os.walk(os.path.join(root, top)):
        dirnames[:] = [d for d in dirnames if d != "build" and not d.startswith(".")]
        for f in files:
            if (suffixes and f.endswith(suffixes)) or (names and f in names):
                yield os.path.join(dirpath, f)


def read(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


class Inventory:
    """What the tree holds: test names, ctest names and labels, selftest and e2e cases."""

    def __init__(self, root):
        self.root = root
        self.gtests = set()
        for path in walk_files(root, "tests", suffixes=(".cpp", ".hpp", ".cc")):
            self.gtests.update(f"{a}.{b}" for a, b in GTEST_RE.findall(read(path)))
        self.suites = {name.split(".")[0] for name in self.gtests}
        self.ctests, self.labels = set(), set()
        for path in walk_files(root, "tests", names={"CMakeLists.txt"}):
            text = read(path)
            self.ctests.update(CTEST_RE.findall(text))
            for group in LABELS_RE.findall(text):
                self.labels.update(l for l in re.split(r'[;\s]+', group) if l and l.islower())
        selftest = os.path.join(root, "scripts/ci/selftest.sh")
        self.selftests = set(SELFTEST_RE.findall(read(selftest))) if os.path.isfile(selftest) else set()
        acceptance = os.path.join(root, "scripts/acceptance.sh")
        text = read(acceptance) if os.path.isfile(acceptance) else ""
        self.checklists = set(re.findall(r'which == "([\w-]+)"', text))
        self.acceptance_rows = set(re.findall(r'^\s*"(P1-AT-\d\d)\|', text, re.M))
        e2e = os.path.join(root, "tests/e2e/e2e_mesh_test.sh")
        match = E2E_RE.search(read(e2e)) if os.path.isfile(e2e) else None
        self.e2e_cases = set(match.group(1).split()) if match else set()

    def empty_parts(self):
        return [what for what, found in (("gtest names", self.gtests), ("ctest names", self.ctests)) if not found]

    def is_test(self, name):
        """True if `name` (one backticked token of a proof cell) names something that tests."""
        if name in self.ctests or name in self.suites or name in self.selftests or name in self.e2e_cases \
                or name in self.checklists or name in self.acceptance_rows:
            return True
        if re.fullmatch(r'\w+\.[\w*?]+', name):
            if any(c in name for c in "*?"):
                return any(fnmatch.fnmatchcase(t, name) for t in self.gtests)
            return name in self.gtests
        if name.startswith(("scripts/", "tests/")):
            return os.path.exists(os.path.join(self.root, name.rstrip("/")))
        return False


def table_rows(lines, first_header):
    """Rows of every markdown table whose first header cell is `first_header`."""
    rows, in_table = [], False
    for number, line in enumerate(lines, 1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not in_table:
            in_table = cells[0] == first_header
            continue
        if re.fullmatch(r'[\s\-:|]+', line.strip()):
            continue
        rows.append((number, cells))
    return rows


def split_cells(line):
    """Splits a table line on `|` outside backticks (a regex in a command may contain `|`)."""
    cells, current, quoted, previous = [], "", False, ""
    for ch in line.strip().strip("|"):
        if ch == "`":
            quoted = not quoted
        escaped, previous = previous == "\\", ch
        if ch == "|" and not quoted and not escaped:
            cells.append(current.strip())
            current = ""
        else:
            current += ch
    cells.append(current.strip())
    return cells


def backticked(cell):
    """Code spans of a cell; `\\|` (a pipe escaped for the markdown table) is a plain `|`."""
    return [span.replace("\\|", "|") for span in re.findall(r'`([^`]+)`', cell)]


def check_code(root, cell, where, problems):
    cited, last_dir = 0, None
    for token in backticked(cell):
        token = token.strip()
        if "/" not in token and "." not in token and "*" not in token:
            continue  # an identifier, not a path
        if "/" in token or token.startswith("."):
            matches = glob.glob(os.path.join(root, token.rstrip("/")))
            if not matches:
                problems.append(f"{where}: code path `{token}` does not exist")
                continue
            cited += 1
            first = matches[0]
            last_dir = first if os.path.isdir(first) else os.path.dirname(first)
            continue
        # A bare file name: under the directory cited before it in this cell, else at the top.
        if last_dir is None:
            if os.path.exists(os.path.join(root, token)):
                cited += 1
            else:
                problems.append(f"{where}: `{token}` does not exist at the top of the tree (and no directory "
                                "is cited before it)")
            continue
        found = any(token in files for _, _, files in os.walk(last_dir))
        if not found:
            problems.append(f"{where}: `{token}` not found under {os.path.relpath(last_dir, root)}")
        else:
            cited += 1
    if cited == 0:
        problems.append(f"{where}: names no code path")


def check_proof(inventory, cell, where, problems):
    names = [t.strip() for t in backticked(cell)]
    if not names:
        problems.append(f"{where}: names no test")
        return
    for name in names:
        if not inventory.is_test(name):
            problems.append(f"{where}: `{name}` is not a test of this tree (ctest name, gtest Suite.Name, "
                            "selftest, e2e case, acceptance checklist or row, or a script under scripts/ or tests/)")


def check_command(root, inventory, cell, where, problems):
    commands = [t.strip() for t in backticked(cell)]
    if not commands:
        problems.append(f"{where}: names no command")
        return
    for command in commands:
        try:
            words = shlex.split(command)
        except ValueError as error:
            problems.append(f"{where}: command `{command}` does not parse ({error})")
            continue
        program = words[0]
        if program == "ctest":
            selectors = [(words[i], words[i + 1]) for i in range(1, len(words) - 1) if words[i] in ("-R", "-L")]
            if not selectors:
                problems.append(f"{where}: `{command}` selects no tests (-R REGEX or -L LABEL required)")
            for flag, value in selectors:
                if flag == "-R":
                    try:
                        pattern = re.compile(value)
                    except re.error as error:
                        problems.append(f"{where}: `{command}`: bad regex ({error})")
                        continue
                    if not any(pattern.search(name) for name in inventory.ctests):
                        problems.append(f"{where}: `{command}` selects no ctest test")
                elif value not in inventory.labels:
                    problems.append(f"{where}: `{command}`: no test carries label {value}")
        elif program in ("bash", "python3", "sh"):
            script = next((w for w in words[1:] if not w.startswith("-")), None)
            if script is None or not os.path.isfile(os.path.join(root, script)):
                problems.append(f"{where}: `{command}`: {script} does not exist")
        elif program.startswith(("scripts/", "tests/")):
            path = os.path.join(root, program)
            if not os.path.isfile(path):
                problems.append(f"{where}: `{command}`: {program} does not exist")
            elif not os.access(path, os.X_OK):
                problems.append(f"{where}: `{command}`: {program} is not executable")
        else:
            problems.append(f"{where}: `{command}` is not a runnable command of this tree "
                            "(ctest -R/-L, scripts/..., tests/..., bash/python3 FILE)")


def check_implementation_doc(root, inventory, problems):
    """docs/phase1-implementation.md: the spec's twelve sections, and the section 12 checklist with
    evidence (file, test, command) for each of its 14 items."""
    rel = "docs/phase1-implementation.md"
    path = os.path.join(root, rel)
    if not os.path.isfile(path):
        problems.append(f"{rel}: missing")
        return 0
    lines = read(path).splitlines()
    numbers = [int(m.group(1)) for m in (re.match(r'^## (\d+)\)', line) for line in lines) if m]
    if numbers != list(range(1, 13)):
        problems.append(f"{rel}: sections must be '## 1)' .. '## 12)' in order, found {numbers}")
    items = [(n, split_cells(lines[n - 1])) for n, _ in table_rows(lines, "#")]
    if [cells[0] for _, cells in items] != [str(i) for i in range(1, DOD_ITEMS + 1)]:
        problems.append(f"{rel}: the definition-of-done table must list items 1..{DOD_ITEMS}, found "
                        f"{[cells[0] for _, cells in items]}")
    for number, cells in items:
        where = f"{rel}:{number} item {cells[0]}"
        if len(cells) != 6:
            problems.append(f"{where}: expected 6 columns, found {len(cells)}")
            continue
        _, _, status, evidence, tests, command = cells
        if not STATUS_RE.match(status):
            problems.append(f"{where}: status '{status[:40]}' is not `done`, `partial (...)` or `open (...)`")
        check_code(root, evidence, where, problems)
        check_proof(inventory, tests, where, problems)
        check_command(root, inventory, command, where, problems)
    return len(items)


def check(root, inventory=None):
    problems = []
    doc_path = os.path.join(root, "docs/traceability.md")
    if not os.path.isfile(doc_path):
        return [f"docs/traceability.md: missing"], 0
    lines = read(doc_path).splitlines()
    inventory = inventory or Inventory(root)
    problems += [f"tree: found no {what} under tests/ (cannot check proofs)" for what in inventory.empty_parts()]

    main_rows = [(n, split_cells(lines[n - 1])) for n, _ in table_rows(lines, "row")]
    other_rows = [(n, split_cells(lines[n - 1])) for n, _ in table_rows(lines, "requirement")]
    if not main_rows:
        problems.append("docs/traceability.md: no table with a `row` column")
    seen = {}
    for number, cells in main_rows:
        seen.setdefault(cells[0], []).append(number)
    for row_id in ROW_IDS:
        if row_id not in seen:
            problems.append(f"docs/traceability.md: row {row_id} is missing")
        elif len(seen[row_id]) > 1:
            problems.append(f"docs/traceability.md: row {row_id} appears {len(seen[row_id])} times (lines "
                            f"{', '.join(map(str, seen[row_id]))})")
    for extra in sorted(set(seen) - set(ROW_IDS)):
        problems.append(f"docs/traceability.md: unknown row id {extra}")

    checked = 0
    for rows, offset, width in ((main_rows, 1, 6), (other_rows, 0, 5)):
        for number, cells in rows:
            where = f"docs/traceability.md:{number} {cells[0][:40]}"
            if len(cells) != width:
                problems.append(f"{where}: expected {width} columns, found {len(cells)}")
                continue
            code, proof, command, status = cells[offset + 1:offset + 5]
            check_code(root, code, where, problems)
            check_proof(inventory, proof, where, problems)
            check_command(root, inventory, command, where, problems)
            if not STATUS_RE.match(status):
                problems.append(f"{where}: status '{status}' is not `done`, `partial (what is missing)` or "
                                "`open (what is missing)`")
            checked += 1
    checked += check_implementation_doc(root, inventory, problems)
    return problems, checked


TRACE, IMPL = "docs/traceability.md", "docs/phase1-implementation.md"


def self_test():
    """Each injected fault must make the check fail naming it; the unmodified copy must pass."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    originals = {rel: read(os.path.join(repo, rel)) for rel in (TRACE, IMPL)}
    cases = [
        (TRACE, "row removed", lambda d: re.sub(r'^\| P1-17 \|.*\n', "", d, flags=re.M), "row P1-17 is missing"),
        (TRACE, "row duplicated", lambda d: re.sub(r'^(\| P1-05 \|.*\n)', r"\1\1", d, flags=re.M), "P1-05 appears 2 times"),
        (TRACE, "unknown id", lambda d: d.replace("| P1-30 |", "| P1-31 |", 1), "row P1-30 is missing"),
        (TRACE, "missing code path", lambda d: re.sub(r'^(\| P1-03 \|[^|]*\| )`libs/backend_api`', r"\1`libs/no_such_lib`",
                                              d, flags=re.M), "`libs/no_such_lib` does not exist"),
        (TRACE, "bare file not found", lambda d: re.sub(r'^(\| P1-07 \|[^|]*\|[^|]*)`token\.hpp`', r"\1`tokn.hpp`", d,
                                                  flags=re.M), "`tokn.hpp` not found"),
        (TRACE, "unknown test", lambda d: re.sub(r'^(\| P1-11 \|(?:[^|]*\|){2} )`', r"\1`NoSuchSuite.NoSuchTest`, `", d,
                                          flags=re.M), "`NoSuchSuite.NoSuchTest` is not a test"),
        (TRACE, "no test", lambda d: re.sub(r'^(\| P1-20 \|(?:[^|]*\|){2})[^|]*\|', r"\1 reviewed by hand |", d, flags=re.M),
         "names no test"),
        (TRACE, "vacuous ctest", lambda d: d.replace("ctest -R crypto_test`", "ctest -R nothing_matches_this`", 1),
         "selects no ctest test"),
        (TRACE, "missing script", lambda d: d.replace("`scripts/ci/leakage.sh`", "`scripts/ci/leakage-gone.sh`"),
         "scripts/ci/leakage-gone.sh does not exist"),
        (TRACE, "unknown runner", lambda d: re.sub(r'^(\| P1-06 \|(?:[^|]*\|){3} )`[^`]*`', r"\1`make check`", d, flags=re.M),
         "`make check` is not a runnable command"),
        (TRACE, "bad status", lambda d: re.sub(r'^(\| P1-09 \|.*\| )done \|$', r"\1partial |", d, count=1, flags=re.M),
         "status 'partial'"),
    ]
    implementation_cases = [
        (IMPL, "section missing", lambda d: d.replace("## 7) ", "## Seven) ", 1), "sections must be '## 1)' .. '## 12)'"),
        (IMPL, "checklist item missing", lambda d: re.sub(r'^\| 13 \|.*\n', "", d, flags=re.M), "must list items 1..14"),
        (IMPL, "checklist test missing", lambda d: d.replace("`Ed25519Test.Rfc8032Vectors`", "`Ed25519Test.Gone`"),
         "`Ed25519Test.Gone` is not a test"),
        (IMPL, "checklist evidence missing", lambda d: d.replace("`docs/key-custody.md`, `libs/crypto/include/rustynet/crypto/custody_file.hpp`",
                                                                  "`docs/key-custody-gone.md`"), "`docs/key-custody-gone.md` does not exist"),
    ]
    cases += implementation_cases
    broken = 0
    with tempfile.TemporaryDirectory(prefix="rustynet-trace-selftest-") as work:
        # The tree is linked, not copied (only docs/ is mutated, so only docs/ is a real copy).
        tree = os.path.join(work, "tree")
        os.mkdir(tree)
        for entry in os.listdir(repo):
            if entry in ("build", ".git", "artifacts"):
                continue
            if entry == "docs":
                shutil.copytree(os.path.join(repo, entry), os.path.join(tree, entry))
            else:
                os.symlink(os.path.join(repo, entry), os.path.join(tree, entry))
        work = tree
        inventory = Inventory(work)  # tests/ and scripts/ are not mutated: read them once
        baseline, _ = check(work, inventory)
        if baseline:
            print("check_traceability self-test: the unmodified documents fail:", *baseline, sep="\n  ")
            return 1
        print("check_traceability self-test: unmodified copy passes")
        for rel, name, mutate, expected in cases:
            target = os.path.join(work, rel)
            mutated = mutate(originals[rel])
            if mutated == originals[rel]:
                print(f"check_traceability self-test: {name}: BROKEN (the mutation did not apply)")
                broken += 1
                continue
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(mutated)
            problems, _ = check(work, inventory)
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(originals[rel])
            if any(expected in p for p in problems):
                print(f"check_traceability self-test: {name}: ok (failed as expected: {expected})")
            else:
                print(f"check_traceability self-test: {name}: BROKEN (expected a problem mentioning '{expected}'; "
                      f"got {problems or 'none'})")
                broken += 1
        # The command-line entry point fails (exit 1) on a broken document, too.
        with open(os.path.join(work, TRACE), "w", encoding="utf-8") as fh:
            fh.write(cases[0][2](originals[TRACE]))
        rc = subprocess.run([sys.executable, os.path.abspath(__file__), work], capture_output=True).returncode
        exit_ok = rc == 1
        if not exit_ok:
            print(f"check_traceability self-test: exit code on a broken document is {rc}, not 1")
    print(f"check_traceability self-test: {len(cases) - broken} of {len(cases)} injected faults caught"
          f"{'' if exit_ok else ', exit code wrong'}")
    return 1 if broken or not exit_ok else 0


def main(argv):
    args = argv[1:]
    if args == ["--self-test"]:
        return self_test()
    with_self_test = "--with-self-test" in args
    args = [a for a in args if a != "--with-self-test"]
    root = os.path.abspath(args[0]) if args else \
        os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    status = check_tree(root)
    if status == 0 and with_self_test:
        status = self_test()
    return status


def check_tree(root):
    problems, checked = check(root)
    for problem in problems:
        print(f"traceability: {problem}", file=sys.stderr)
    if problems:
        print(f"traceability: FAILED, {len(problems)} problem(s) in docs/traceability.md", file=sys.stderr)
        return 1
    if checked < len(ROW_IDS) + DOD_ITEMS:
        print(f"traceability: only {checked} rows checked", file=sys.stderr)
        return 1
    print(f"traceability: {checked} rows checked (P1-01..P1-30 complete, the running-system rows, the "
          f"{DOD_ITEMS} definition-of-done items): code paths exist, tests exist, commands select something")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
