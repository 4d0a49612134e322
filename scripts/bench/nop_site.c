#include <stdio.h>
#include <stdlib.h>
#include <time.h>
/* Two probe sites, each in its own noinline function so the uprobe offset is
 * the function's first instruction: a 1-byte nop (what sys/sdt.h emits) and a
 * 5-byte nop (what the kernel's optimized uprobe path can rewrite). */
__attribute__((noinline)) void site_nop1(void) { __asm__ volatile("nop"); }
__attribute__((noinline)) void site_nop5(void) { __asm__ volatile(".byte 0x0f,0x1f,0x44,0x00,0x00"); }
static long ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 1000000, t0;
	void (*f)(void) = argv[1][3] == '5' ? site_nop5 : site_nop1;
	getchar(); /* wait until the tracer is attached */
	t0 = ns();
	for (long i = 0; i < n; i++) f();
	printf("%.1f\n", (double)(ns() - t0) / n);
	return 0;
}
