"""What `flushlat [SUB] --help` says: its options and its subcommands.  The
man-page and completion tests take the program's side of every comparison
from here."""
import re
import subprocess
import sys

OPT_LINE = re.compile(r"^\s{1,8}(--?[A-Za-z0-9][\w-]*|--)(?:,\s+(--[a-z][\w-]*))?(?=\s|$)")


def run(args):
    p = subprocess.run(args, capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        sys.exit("FAIL: %s exited %d: %s" % (" ".join(args), p.returncode, p.stderr))
    return p.stdout


def options(text):
    """Every option an option line of a --help text starts with."""
    opts = set()
    for line in text.splitlines():
        m = OPT_LINE.match(line)
        if m:
            opts.update(o for o in m.groups() if o)
    return opts


def subcommands(text):
    """`flushlat WORD ...` in the usage block (up to the first blank line)."""
    subs = []
    for line in text.splitlines():
        if not line.strip():
            break
        m = re.match(r"^(?:usage:)?\s+flushlat ([a-z][a-z-]*)\b", line)
        if m:
            subs.append(m.group(1))
    return subs


def values(fl, kind):
    return run([fl, "--list-values", kind]).split()


def kinds(fl):
    return values(fl, "list-values")
