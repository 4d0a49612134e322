#!/usr/bin/env python3
"""Checks every native threshold table: T[i] = floor(1e9 * 2^(i / 2^s)) exactly.

    check_native.py NATIVE_TABLES

For schema s >= 0 the bound is irrational unless 2^s divides i, so
T = floor(B) iff T^(2^s) <= 1e9^(2^s) * 2^i < (T+1)^(2^s), compared in exact
integers (i < 0: multiply the other side by 2^-i).  For s < 0 the bound is
1e9 * 2^(i * 2^-s), a rational computed exactly.  Also: imin is the bucket
of 1 ns and the top bucket reaches 2^12 s.
"""
import subprocess
import sys
from fractions import Fraction

out = subprocess.run([sys.argv[1]], capture_output=True, text=True, check=True).stdout.split("\n")
pos, tables, bad = 0, 0, 0


def floor_bound(s, i):
    if s < 0:
        return int(Fraction(10**9) * Fraction(2) ** (i * 2**-s) // 1)
    return None


def check(s, i, t):
    if s < 0:
        return t == floor_bound(s, i)
    p = 2**s
    lhs_lo, lhs_hi = t**p, (t + 1) ** p
    rhs = 10 ** (9 * p)
    if i >= 0:
        rhs <<= i
    else:  # compare t^p * 2^-i <= 1e9^p
        lhs_lo <<= -i
        lhs_hi <<= -i
    return lhs_lo <= rhs < lhs_hi


while pos < len(out) and out[pos]:
    s, imin, n = (int(x) for x in out[pos].split())
    t = [int(x) for x in out[pos + 1:pos + 1 + n]]
    pos += 1 + n
    tables += 1
    for k, v in enumerate(t):
        if not check(s, imin + k, v):
            bad += 1
            if bad < 10:
                print("schema %d bucket %d: T = %d is not floor(1e9 * 2^(i/2^s))" % (s, imin + k, v))
    if t[0] < 1 or not check(s, imin - 1, 0):
        print("schema %d: imin %d is not the bucket of 1 ns" % (s, imin))
        bad += 1
    top = 4096 * 10**9
    if t[-1] < top or (n > 1 and t[-2] >= top):
        print("schema %d: the top bucket does not end at 2^12 s: %d %d" % (s, t[-2], t[-1]))
        bad += 1
if tables != 13 or bad:
    print("FAIL: %d tables, %d errors" % (tables, bad))
    sys.exit(1)
print("ok: 13 schemas, every threshold exact")
