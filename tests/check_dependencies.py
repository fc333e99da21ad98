#!/usr/bin/env python3
"""Fails when an #include in lib/ or cli/ goes against the dependency table.

The table lives in ONE place, docs/ARCHITECTURE.md ("Dependency directions"):
each row names a folder and the folders it may include from. A folder always
may include its own files, and an include without a folder ("output.hpp",
the generated "build_config.h") stays in its own folder. This script also
refuses a table with a cycle and a lib/ folder the table does not name, so a
new folder is a decision, not an accident.

usage: check_dependencies.py REPO_ROOT
"""
import pathlib
import re
import sys

MARKER = "<!-- dependency table: read by tests/check_dependencies.py -->"
EVERY_LIB_FOLDER = "every lib folder"
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"')


def read_table(doc):
    """{folder: set of folders it may include} from the rows after MARKER."""
    lines = doc.read_text().splitlines()
    try:
        start = lines.index(MARKER) + 1
    except ValueError:
        sys.exit(f"{doc}: no line {MARKER!r}; the dependency table must follow it")
    table = {}
    for line in lines[start:]:
        if not line.startswith("|"):
            if table:
                break
            continue
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) != 2 or cells[0] in ("folder", "") or set(cells[0]) <= set("-: "):
            continue
        folder, allowed = cells
        if allowed in ("nothing", "—", "-"):
            table[folder] = set()
        elif allowed == EVERY_LIB_FOLDER:
            table[folder] = {EVERY_LIB_FOLDER}
        else:
            table[folder] = {"lib/" + name.strip().strip("`") for name in allowed.split(",")}
    if not table:
        sys.exit(f"{doc}: the dependency table after {MARKER!r} has no rows")
    return table


def expand(table, lib_folders):
    return {
        folder: (set(lib_folders) - {folder}) if EVERY_LIB_FOLDER in allowed else allowed
        for folder, allowed in table.items()
    }


def find_cycle(table):
    """A list of folders that include each other in a circle, or None."""
    state = {}

    def visit(folder, path):
        state[folder] = "open"
        for dep in sorted(table.get(folder, ())):
            if state.get(dep) == "open":
                return path[path.index(dep):] + [dep] if dep in path else [folder, dep]
            if dep not in state:
                cycle = visit(dep, path + [dep])
                if cycle:
                    return cycle
        state[folder] = "done"
        return None

    for folder in sorted(table):
        if folder not in state:
            cycle = visit(folder, [folder])
            if cycle:
                return cycle
    return None


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1])
    root = pathlib.Path(sys.argv[1])
    doc = root / "docs" / "ARCHITECTURE.md"
    lib_folders = sorted(f"lib/{p.name}" for p in (root / "lib").iterdir() if p.is_dir())
    table = read_table(doc)
    problems = []
    for folder in lib_folders:
        if folder not in table:
            problems.append(f"{folder}: no row in the dependency table of {doc.relative_to(root)}; add one "
                            f"naming the folders it may include")
    allowed = expand(table, lib_folders)
    cycle = find_cycle(allowed)
    if cycle:
        problems.append(f"{doc.relative_to(root)}: the dependency table has a cycle: {' -> '.join(cycle)}")

    for folder in lib_folders + ["cli"]:
        for source in sorted((root / folder).rglob("*")):
            if source.suffix not in (".cpp", ".hpp", ".h"):
                continue
            for number, line in enumerate(source.read_text(errors="replace").splitlines(), 1):
                match = INCLUDE.match(line)
                if not match or "/" not in match.group(1):
                    continue  # a file of its own folder
                target = "lib/" + match.group(1).split("/")[0]
                if target == folder:
                    continue
                where = f"{source.relative_to(root)}:{number}"
                if target not in lib_folders:
                    problems.append(f"{where}: includes \"{match.group(1)}\", not a file of any lib folder")
                elif target not in allowed.get(folder, set()):
                    may = ", ".join(sorted(allowed.get(folder, set()))) or "nothing"
                    problems.append(f"{where}: includes \"{match.group(1)}\", but {folder} may include only "
                                    f"{may} (dependency table, {doc.relative_to(root)})")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"{len(lib_folders) + 1} folders follow the dependency table")


if __name__ == "__main__":
    main()
