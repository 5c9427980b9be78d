/*
 * zlr-tiny: the small static service of the restart-latency benchmark.
 *
 * Each incarnation writes one line to stdout, "t=<CLOCK_BOOTTIME ns at
 * main> inc=<ZL_INCARNATION> fds=<open descriptors> slab=<SUnreclaim kB>",
 * then:
 * - with ZLR_TINY_RESTARTS=N > 0, incarnation 0 waits for a byte on stdin,
 *   and every incarnation below N takes a null write (SIGSEGV);
 * - the last one (or any, when N is 0) waits for end of file on stdin and
 *   exits 0.
 * Build: gcc -static -O2 -o zlr-tiny tiny.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* NULL, but only at run time. */
int *volatile fault_ptr;

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* less the directory's own descriptor */
}

/* The kernel's unreclaimable slab, in kB. */
static long sunreclaim_kb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SUnreclaim: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

int main(void)
{
	const char *inc_env = getenv("ZL_INCARNATION");
	const char *n_env = getenv("ZLR_TINY_RESTARTS");
	int inc = inc_env ? atoi(inc_env) : 0;
	int restarts = n_env ? atoi(n_env) : 0;
	struct timespec ts;
	char c;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	dprintf(1, "t=%lld inc=%d fds=%d slab=%ld\n",
		(long long)ts.tv_sec * 1000000000LL + ts.tv_nsec, inc,
		count_fds(), sunreclaim_kb());
	if (inc == 0 && restarts > 0 && read(0, &c, 1) != 1)
		return 1;
	if (inc < restarts)
		*fault_ptr = 1;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
