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


def comp_vars(args):
    """COMP_WORDS, COMP_CWORD and COMP_LINE for `flushlat ARGS` (cursor at the end)."""
    line = FL + " " + args
    words = comp_words(line)
    if line.endswith(" ") and words[-1] != "":
        words.append("")
    return ("COMP_WORDS=(%s); COMP_CWORD=%d; COMP_LINE=%s"
            % (" ".join(shlex.quote(w) for w in words), len(words) - 1, shlex.quote(line)))


def complete_all(queries):
    """{args: (COMPREPLY, bash's PID)} for every command line, all in one bash:
    bash-completion and the script loaded once, `complete -p` checked, then
    the function called per line as bash calls it."""
    script = ["set -u", ". %s || exit 90" % BASH_COMPLETION, ". %s || exit 91" % shlex.quote(SCRIPT),
              "complete -p flushlat | grep -q -- '-F _flushlat' || { echo 'not registered'; exit 92; }"]
    for i, args in enumerate(queries):
        script += ["echo '@@@ %d'" % i, comp_vars(args), "COMP_POINT=${#COMP_LINE}",
                   '_flushlat %s "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"'
                   % shlex.quote(FL),
                   "printf '%s\\n' \"${COMPREPLY[@]}\"", "COMPREPLY=()"]
    script.append('echo "pid=$$"')
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", "\n".join(script)],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        sys.exit("FAIL: bash exited %d: %s%s" % (p.returncode, p.stdout[-2000:], p.stderr))
    out = p.stdout.splitlines()
    pid = int(out.pop()[4:])
    got, cur = {}, None
    for line in out:
        if line.startswith("@@@ "):
            cur = queries[int(line[4:])]
            got[cur] = []
        elif line:
            got[cur].append(line)
    return {q: (got.get(q, []), pid) for q in queries}


CHECKS = []


def expect(args, want, exact=False, what=None):
    CHECKS.append((args, want, exact, what))


def evaluate():
    results = complete_all([c[0] for c in CHECKS])
    for args, want, exact, what in CHECKS:
        got, pid = results[args]
        if callable(want):
            want = want(pid)
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
    kinds = helpopts.kinds(FL)
    for kind in kinds:
        vals = helpopts.values(FL, kind)
        if kind == "list-values":
            expect("--list-values ", vals, exact=True)
            continue
        sub, opt = kind.split("-", 1) if kind.split("-", 1)[0] in subs else (None, kind)
        if sub:  # SUB-OPT: that subcommand's own words for its option
            expect("%s --%s " % (sub, opt), vals, exact=True)
            continue
        expect("--%s " % kind, vals, exact=True)
        # and wherever a subcommand takes the same option without words of its own
        for s in subs:
            if ("--" + kind in helpopts.options(helpopts.run([FL, s, "--help"]))
                    and "%s-%s" % (s, kind) not in kinds):
                expect("%s --%s " % (s, kind), vals, exact=True)
    expect("--format=j", ["json"], exact=True)
    expect("diff --fail-if p9", ["p90", "p99", "p99.9"], exact=True)
    expect("--fail-if 'p99>", [], exact=True)  # past the metric: the user types on
    # the flush anatomy: component metrics, and options that take no fixed words
    expect("--fail-if io.p", ["io.p50", "io.p90", "io.p99", "io.p99.9"], exact=True)
    expect("diff --fail-if runq.", ["runq.total", "runq.p50", "runq.p90", "runq.p99",
                                    "runq.p99.9", "runq.max"], exact=True)
    expect("--fail-if slow_", ["slow_flushes", "slow_dropped"], exact=True)
    for opt in ("--slow", "--stuck", "--top", "--slow-buffer"):
        expect("%s " % opt, [], exact=True, what="nothing: %s takes a value of its own" % opt)
    expect("--s", ["--slow", "--slow-buffer", "--stuck", "--syscalls"])
    # files, PIDs, commands
    d = tempfile.mkdtemp(prefix="flushlat-comp-")
    open(os.path.join(d, "run.json"), "w").close()
    expect("report %s/r" % d, [d + "/run.json"], exact=True, what="DIR/run.json")
    expect("-b /usr/bi", ["/usr/bin"])
    expect("--lib /usr/li", ["/usr/lib"])
    expect("-p ", lambda pid: [str(pid)], what="PIDs (the shell's own among them)")
    expect("--output /et", ["/etc"])
    expect("--breakdown --folded /et", ["/etc"])
    expect("-p 1 -- bas", ["bash"], what="commands (bash among them)")
    expect("-- ls --colo", ["--color"], what="ls's own options (--color)")
    evaluate()
    os.remove(os.path.join(d, "run.json"))
    os.rmdir(d)
    if failures:
        print("FAIL:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("PASS")


main()
