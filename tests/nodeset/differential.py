#!/usr/bin/python3
"""Differential test: `clusterctl nodeset` beside ClusterShell 1.9's NodeSet over a corpus.

For every expression the reference is ClusterShell's own parser, run in-process (the code
behind /usr/bin/nodeset; a sample is also run through /usr/bin/nodeset to show they agree).
clusterctl runs once per expression (`-o json nodeset EXPR`: names, count and fold at once).
An expression agrees when both refuse it, or both accept it with the same set and count and
ClusterShell reads clusterctl's fold back to the same set. clusterctl's deliberate
differences (man/clusterctl.1, NODESET) are named exclusions below, each with the reason
and a check that it really is that difference; anything else that differs fails the test.

usage: differential.py CLUSTERCTL CORPUS [--random N] [--seed S] [--report]
"""
import argparse
import concurrent.futures
import json
import os
import random
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, "/usr/lib/python3/dist-packages")
from ClusterShell.NodeSet import NodeSet, ParsingEngine  # noqa: E402
from ClusterShell.NodeUtils import GroupResolver  # noqa: E402

NO_GROUPS = GroupResolver()  # no group source: '@' would be ClusterShell's groups.conf
MAX_NAMES = 100000
NAME = re.compile(r"[A-Za-z0-9._-]+")


def reference(expr):
    """ClusterShell's answer: (set of names, fold) or None when it refuses."""
    try:
        ns = NodeSet(expr, resolver=NO_GROUPS)
        return set(ns), str(ns)
    except Exception:  # NodeSetParseError, and AssertionError/ValueError on absurd ranges
        return None


def operand_indexes(expr):
    """Every index ClusterShell reads in expr, operand by operand (for the exclusion checks)."""
    engine = ParsingEngine(None)
    try:
        for _, pat, rset in engine._scan_string(expr.strip().replace("%", "%%"), None):
            if rset is None:
                continue
            if rset.dim() == 1:
                yield from rset
            else:
                for vector in rset.vectors():
                    for axis in vector:
                        yield from axis
    except Exception:
        return


def operand_sizes(expr):
    engine = ParsingEngine(None)
    try:
        for _, pat, rset in engine._scan_string(expr.strip().replace("%", "%%"), None):
            yield len(rset) if rset is not None else 1
    except Exception:
        return


def valid_name(name):
    return NAME.fullmatch(name) and not name.startswith("-") and len(name) <= 253 and name not in (".", "..")


def outside_brackets(expr):
    depth, out = 0, []
    for c in expr:
        depth += c == "["
        out.append(c if depth == 0 else " ")
        depth -= c == "]" and depth > 0
    return "".join(out)


# Deliberate differences: (name, reason, applies(expr, ref, ours)). ref is ClusterShell's
# (names, fold) or None; ours is clusterctl's JSON or its error message (a str).
EXCLUSIONS = [
    ("groups", "@group comes from clusterctl's inventory, not ClusterShell's groups.conf",
     lambda e, ref, ours: "@" in e),
    ("unsafe-names", "node names are limited to [A-Za-z0-9._-] (no leading '-', at most 253 "
     "characters): they end up on SSH command lines and in file paths",
     lambda e, ref, ours: ref is not None and isinstance(ours, str) and "is not a valid node name" in ours
     and any(not valid_name(n) for n in ref[0])),
    ("empty-set", "an empty set is an error where nodes are acted on; clusterctl refuses an empty expression",
     lambda e, ref, ours: ref is not None and not ref[0] and isinstance(ours, str) and "empty expression" in ours),
    ("over-100000-names", "at most 100,000 names, checked on every operand and running result",
     lambda e, ref, ours: isinstance(ours, str) and "more than 100000 names" in ours
     and (ref is None or len(ref[0]) > MAX_NAMES or any(n > MAX_NAMES for n in operand_sizes(e)))),
    ("long-numbers", "numbers in brackets have at most 18 digits (exact 64-bit arithmetic)",
     lambda e, ref, ours: isinstance(ours, str) and "is too large" in ours
     and (any(len(i.lstrip("-")) > 18 for i in operand_indexes(e)) or re.search(r"\d{19}", e))),
    ("negative-numbers", "negative numbers in brackets are refused: '-' in a range means a range",
     lambda e, ref, ours: isinstance(ours, str) and "negative numbers are not supported" in ours
     and any(i.startswith("-") for i in operand_indexes(e))),
    ("python-int-syntax", "ClusterShell parses bracket numbers with Python's int(), which also "
     "takes '+5' and '1_000'; clusterctl takes digits only",
     lambda e, ref, ours: isinstance(ours, str) and ("is not a number" in ours or "positive number" in ours)
     and re.search(r"\[[^]]*[+_][^]]*\]", e)),
    ("exclusion-extension", "clusterctl's ',!x' (and a leading '!x') removes x wherever it stands; "
     "ClusterShell refuses '!' where it expects an operand, so no expression it accepts changes meaning",
     lambda e, ref, ours: ref is None and not isinstance(ours, str)
     and re.search(r"(^|,)\s*!", outside_brackets(e).strip())),
]


def ours(binary, expr, env):
    proc = subprocess.run([binary, "-o", "json", "nodeset", "--", expr], capture_output=True, text=True, env=env,
                          timeout=60)
    if proc.returncode == 0:
        return json.loads(proc.stdout)
    return proc.stderr.strip() or f"exit {proc.returncode}"


def random_corpus(count, seed):
    """Expressions from a small grammar: prefixes, brackets with ranges, padding and steps,
    glued digits, suffixes, and the four operators."""
    rnd = random.Random(seed)

    def number():
        width = rnd.choice([1, 1, 1, 2, 3])
        value = rnd.randrange(0, 10 ** width)
        return str(value).zfill(width) if rnd.random() < 0.4 else str(value)

    def element():
        lo = number()
        kind = rnd.random()
        if kind < 0.35:
            return lo
        hi = str(int(lo) + rnd.randrange(0, 25)).zfill(len(lo) if lo.startswith("0") and rnd.random() < 0.8 else 0)
        step = f"/{rnd.randrange(1, 4)}" if kind > 0.85 else ""
        return f"{lo}-{hi}{step}"

    def bracket():
        return "[" + ",".join(element() for _ in range(rnd.randrange(1, 4))) + "]"

    def operand():
        parts = [rnd.choice(["n", "node", "gpu-", "r", "c", "x.y", "a_b", ""])]
        for _ in range(rnd.randrange(0, 3)):
            if rnd.random() < 0.2:
                parts.append(str(rnd.randrange(0, 30)))  # digits glued to the next bracket
            parts.append(bracket())
            if rnd.random() < 0.5:
                parts.append(rnd.choice(["p", "-ib", "s", ".lan", "0", "1", "-", ""]))
        text = "".join(parts)
        return text or "n" + number()

    out = []
    for _ in range(count):
        expr = operand()
        for _ in range(rnd.randrange(0, 4)):
            expr += rnd.choice([",", ",", "!", "&", "^", " , "]) + operand()
        out.append(expr)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("clusterctl")
    parser.add_argument("corpus")
    parser.add_argument("--random", type=int, default=500)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--report", action="store_true", help="list every expression that differs")
    parser.add_argument("--sample", type=int, default=1,
                        help="compare every Nth expression only (the sanitizer build: each ASan start costs "
                             "~0.4 s, and what it checks is memory, which a third of the corpus exercises)")
    args = parser.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        corpus = [line.rstrip("\n") for line in f if not line.startswith("#") and line.strip() != ""]
    corpus += ["", "  "]  # the empty expression: ClusterShell's empty set, clusterctl's error
    corpus += random_corpus(args.random, args.seed)
    corpus = corpus[::max(args.sample, 1)]

    home = tempfile.mkdtemp(prefix="nodeset-differential-")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home,
           "CLUSTERCTL_INVENTORY": os.path.join(home, "inventory.db"),
           "CLUSTERCTL_CONFIG": os.path.join(home, "config.toml")}
    open(env["CLUSTERCTL_CONFIG"], "w").close()

    # The in-process reference is the CLI's code: check a sample through /usr/bin/nodeset.
    for expr in corpus[:40:4]:
        ref = reference(expr)
        cli = subprocess.run(["/usr/bin/nodeset", "-f", expr], capture_output=True, text=True)
        if (cli.returncode == 0) != (ref is not None) or (ref and cli.stdout.strip() != ref[1]):
            print(f"reference mismatch with /usr/bin/nodeset on {expr!r}: {cli.stdout!r} {cli.stderr!r}")
            return 2

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda e: ours(args.clusterctl, e, env), corpus))

    agree, folds_equal, accepted_both = 0, 0, 0
    excluded = {name: 0 for name, _, _ in EXCLUSIONS}
    differ = []
    for expr, mine in zip(corpus, answers):
        ref = reference(expr)
        same = False
        if ref is None and isinstance(mine, str):
            same = True
        elif ref is not None and not isinstance(mine, str):
            names = set(mine["nodes"])
            folded_back = reference(mine["folded"]) if mine["folded"] else (set(), "")
            same = names == ref[0] and mine["count"] == len(ref[0]) and folded_back is not None \
                and folded_back[0] == ref[0]
            accepted_both += 1
            folds_equal += mine["folded"] == ref[1]
        exclusion = None
        if not same or "@" in expr:
            exclusion = next((name for name, _, applies in EXCLUSIONS if applies(expr, ref, mine)), None)
        if exclusion:
            excluded[exclusion] += 1
        elif same:
            agree += 1
        else:
            differ.append((expr, ref, mine))

    total = len(corpus)
    compared = total - sum(excluded.values())
    print(f"expressions: {total}" + (f" (every {args.sample}th)" if args.sample > 1 else
          f" ({total - args.random} from the corpus and empty ones, {args.random} random, seed {args.seed})"))
    print(f"agree: {agree}/{total} = {100.0 * agree / total:.1f}% of all; "
          f"{agree}/{compared} = {100.0 * agree / max(compared, 1):.1f}% of those compared")
    for name, reason, _ in EXCLUSIONS:
        print(f"excluded {name}: {excluded[name]} ({reason})")
    print(f"fold strings identical to ClusterShell's: {folds_equal}/{accepted_both} accepted by both")
    print(f"differ: {len(differ)}")
    for expr, ref, mine in differ[: None if args.report else 20]:
        theirs = "refused" if ref is None else f"{len(ref[0])} names, fold {ref[1][:80]!r}"
        print(f"  {expr!r}: ClusterShell {theirs}; clusterctl "
              f"{mine[:100] if isinstance(mine, str) else str(mine['count']) + ' names, fold ' + repr(mine['folded'][:80])}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
