#!/usr/bin/env python3
"""The bash completion, run by bash as bash runs it: bash-completion loaded,
the script sourced, `complete -p flushlat` registered, then the function
called with COMP_WORDS/COMP_CWORD/COMP_LINE/COMP_POINT for a command line.

    test_completion.py FLUSHLAT SCRIPT

It must offer every option of `flushlat --help` and of each subcommand's
--help, every subcommand of the usage lines, every word of
`flushlat --list-values KIND` for the option it belongs to (formats, clocks,
--fail-if metrics), and files, PIDs and commands where those are asked for.
The program's side comes from the program itself (helpopts.py), so a new
option, format or metric that the completion misses fails here.
"""
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import helpopts  # noqa: E402

FL, SCRIPT = os.path.abspath(sys.argv[1]), sys.argv[2]
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
failures = []


def comp_words(line):
    """Split a command line as bash does for completion (COMP_WORDBREAKS has
    '=' and ':'): "--format=j" is three words, --format, = and j."""
    words = []
    for w in line.split(" "):
        parts = re.split(r"([=:])", w)
        words.extend(p for p in parts if p != "")
        if w == "":
            words.append("")
    return words


def complete(args, cwd=None):
    """COMPREPLY for the command line `flushlat ARGS` (the cursor at its end)."""
    line = FL + " " + args
    words = comp_words(line)
    if line.endswith(" ") and words[-1] != "":
        words.append("")
    script = """
set -u
. %s || exit 90
. %s || exit 91
complete -p flushlat | grep -q -- '-F _flushlat' || { echo 'not registered'; exit 92; }
COMP_WORDS=(%s)
COMP_CWORD=%d
COMP_LINE=%s
COMP_POINT=${#COMP_LINE}
_flushlat %s "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%%s\\n' "${COMPREPLY[@]}"
echo "pid=$$"
""" % (BASH_COMPLETION, shlex.quote(SCRIPT), " ".join(shlex.quote(w) for w in words),
       len(words) - 1, shlex.quote(line), shlex.quote(FL))
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True,
                       text=True, timeout=30, cwd=cwd)
    if p.returncode != 0:
        sys.exit("FAIL: bash exited %d for '%s': %s%s" % (p.returncode, args, p.stdout, p.stderr))
    out = p.stdout.splitlines()
    pid = out.pop()
    return [w for w in out if w], int(pid[4:])


def expect(args, want, exact=False, what=None):
    got, _ = complete(args)
    missing = sorted(set(want) - set(got))
    if missing:
        failures.append("'flushlat %s' does not offer %s" % (args, " ".join(missing)))
    elif exact and sorted(got) != sorted(want):
        failures.append("'flushlat %s' offers %s, want exactly %s" % (args, got, sorted(want)))
    else:
        print("ok: 'flushlat %s' -> %s" % (args, what or " ".join(sorted(got))))


def main():
    if not os.path.exists(BASH_COMPLETION):
        sys.exit("FAIL: bash-completion (Debian package bash-completion) is not installed")
    top = helpopts.run([FL, "--help"])
    subs = helpopts.subcommands(top)
    expect("", subs, exact=True)
    expect("-", helpopts.options(top), what="every option of --help")
    for sub in subs:
        opts = helpopts.options(helpopts.run([FL, sub, "--help"]))
        expect(sub + " -", opts, exact=True, what="every option of %s --help" % sub)
    for kind in helpopts.kinds(FL):
        vals = helpopts.values(FL, kind)
        if kind == "list-values":
            expect("--list-values ", vals, exact=True)
            continue
        expect("--%s " % kind, vals, exact=True)
        # and wherever a subcommand takes the same option
        for sub in subs:
            if "--" + kind in helpopts.options(helpopts.run([FL, sub, "--help"])):
                expect("%s --%s " % (sub, kind), vals, exact=True)
    expect("--format=j", ["json"], exact=True)
    expect("diff --fail-if p9", ["p90", "p99", "p99.9"], exact=True)
    expect("--fail-if 'p99>", [], exact=True)  # past the metric: the user types on
    # files, PIDs, commands
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, "run.json"), "w").close()
        got, _ = complete("report %s/r" % d)
        if got != [d + "/run.json"]:
            failures.append("'flushlat report DIR/r' offers %s" % got)
        else:
            print("ok: 'flushlat report DIR/r' -> run.json")
    expect("-b /usr/bi", ["/usr/bin"])
    expect("--lib /usr/li", ["/usr/lib"])
    got, pid = complete("-p ")
    if str(pid) not in got:
        failures.append("'flushlat -p ' does not offer the PID %d (got %d words)" % (pid, len(got)))
    else:
        print("ok: 'flushlat -p ' -> PIDs (%d of them)" % len(got))
    expect("--output /et", ["/etc"])
    expect("-p 1 -- bas", ["bash"], what="commands (bash among them)")
    expect("-- ls --colo", ["--color"], what="ls's own options (--color)")
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("PASS")


main()
