#!/usr/bin/env python3
"""flushlat(8) against the program: lint-clean (mandoc -T lint, groff -ww),
and the same options both ways, command by command.

    test_manpage.py FLUSHLAT MANPAGE

- The options of `flushlat --help`, and of `flushlat SUB --help` for every
  subcommand its usage lines name, must each have an `.It Fl ...` entry in
  the man page (OPTIONS for the program, `.Ss SUB` under COMMANDS for a
  subcommand), and every such entry must be in the matching --help.
- Every word of `flushlat --list-values OPT`, for every OPT it lists
  (formats, clocks, --fail-if metrics: the parsers' own tables), is in the
  man page as `.Cm WORD`.
Drift in either direction fails with the list of what is missing where.
"""
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helpopts  # noqa: E402

FL, MAN = sys.argv[1], sys.argv[2]
failures = []


def man_options(src):
    """{command: options} from `.It Fl X ...` lines; "" is the program itself."""
    by_cmd, sh, ss = {}, None, None
    for line in src.splitlines():
        if line.startswith(".Sh "):
            sh, ss = line[4:].strip(), None
        elif line.startswith(".Ss "):
            ss = line[4:].strip()
        elif line.startswith(".It ") and " Fl" in " " + line[4:]:
            cmd = "" if sh == "OPTIONS" else ss if sh == "COMMANDS" else None
            if cmd is None:
                continue
            flags = re.findall(r"(?:^|\s)Fl\s+(\S+)", line[4:])
            by_cmd.setdefault(cmd, set()).update("-" + f for f in flags)
    return by_cmd


def cm_words(src):
    """The words of every Cm macro (".Cm p50 , p90" gives p50 and p90)."""
    words = set()
    for m in re.finditer(r"(?:^\.|\s)Cm\s+(.*)$", src, re.M):
        for tok in m.group(1).replace(",", " ").split():
            if re.fullmatch(r"[A-Z][a-z]", tok):
                break  # the next macro
            words.add(tok)
    return words


def compare(what, in_help, in_man):
    for o in sorted(in_help - in_man):
        failures.append("%s: %s is in --help but not in the man page" % (what, o))
    for o in sorted(in_man - in_help):
        failures.append("%s: %s is in the man page but not in --help" % (what, o))


def lint():
    p = subprocess.run(["mandoc", "-T", "lint", "-W", "warning", MAN], capture_output=True,
                       text=True)
    if p.returncode != 0 or p.stdout.strip() or p.stderr.strip():
        failures.append("mandoc -T lint: rc=%d\n%s%s" % (p.returncode, p.stdout, p.stderr))
    else:
        print("ok: mandoc -T lint -W warning: clean")
    if shutil.which("groff"):
        p = subprocess.run(["groff", "-ww", "-z", "-mdoc", MAN], capture_output=True, text=True)
        if p.returncode != 0 or p.stderr.strip():
            failures.append("groff -ww -z: rc=%d\n%s" % (p.returncode, p.stderr))
        else:
            print("ok: groff -ww -z -mdoc: clean")


def main():
    if not shutil.which("mandoc"):
        sys.exit("FAIL: mandoc (Debian package mandoc) is not installed")
    src = open(MAN).read()
    lint()
    top = helpopts.run([FL, "--help"])
    man = man_options(src)
    compare("flushlat", helpopts.options(top), man.get("", set()))
    subs = helpopts.subcommands(top)
    if not subs:
        failures.append("no subcommand found in the usage lines of flushlat --help")
    for sub in subs:
        compare("flushlat " + sub, helpopts.options(helpopts.run([FL, sub, "--help"])), man.get(sub, set()))
    for extra in sorted(set(man) - set(subs) - {""}):
        failures.append("man page documents a command '%s' that --help does not list" % extra)
    print("ok: compared the options of flushlat and of %s" % ", ".join(subs))
    cm = cm_words(src)
    for kind in helpopts.kinds(FL):
        for word in helpopts.values(FL, kind):
            if word not in cm:
                failures.append("--list-values %s: '%s' is not in the man page (.Cm %s)"
                                % (kind, word, word))
    print("ok: compared the formats, clocks and --fail-if metrics")
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("PASS")


main()
