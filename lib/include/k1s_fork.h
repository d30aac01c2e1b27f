/* fork() from a process with threads: the runtime's shims are forks of
 * k1s that go on running k1s's code (they allocate, log, compress). */
#ifndef K1S_FORK_H
#define K1S_FORK_H

/* Called by whatever starts a thread (k1s_uring, k1s_work), before it
 * does; once per process. glibc makes malloc safe across fork() already;
 * under AddressSanitizer this does the same for its allocator, which
 * (compiler-rt before LLVM 17) would otherwise leave a child that forked
 * while another thread allocated waiting forever for a lock. */
void k1s_fork_guard(void);

#endif
