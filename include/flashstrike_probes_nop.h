/* SPDX-License-Identifier: MIT */
/*
 * flashstrike_probes_nop.h - the instruction at each probe site (internal to
 * flashstrike_probes.h; include that one).
 *
 * sys/sdt.h marks a probe site with a 1-byte nop, which a kernel uprobe
 * replaces with an int3 trap.  Since Linux 6.18, x86-64 optimizes a uprobe on
 * a 5-byte nop (0f 1f 44 00 00) into a call to a trampoline that enters the
 * kernel through the uprobe syscall: about half the cost per hit here
 * (scripts/bench/RESULTS.md: 237 vs 496 ns per hit).  An untraced site still
 * executes nothing (it sits behind the semaphore test), and older kernels or
 * other tracers treat it as any nop.  sys/sdt.h expands _SDT_NOP where a probe
 * is used, so redefining it after the include is enough.  The bytes are
 * spelled out: gas would shrink a written `nopl 0(%rax,%rax,1)`, and its
 * commas would split the sdt.h macro argument.
 */
#ifndef FLASHSTRIKE_PROBES_NOP_H
#define FLASHSTRIKE_PROBES_NOP_H

#if defined(__x86_64__) && !defined(FLASHSTRIKE_PROBES_NOP1)
#undef _SDT_NOP
#define _SDT_NOP .byte 0x0f;.byte 0x1f;.byte 0x44;.byte 0x00;.byte 0x00
#endif

#endif /* FLASHSTRIKE_PROBES_NOP_H */
