/* See k1s_fork.h. */
#include <pthread.h>

#include "k1s_fork.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define K1S_FORK_ASAN 1
#endif
#endif
#if !defined(K1S_FORK_ASAN) && defined(__SANITIZE_ADDRESS__)
#define K1S_FORK_ASAN 1
#endif

#ifdef K1S_FORK_ASAN
/* compiler-rt's own locks, which its later versions take around fork()
 * themselves (asan_posix.cpp, InstallAtForkHandler): the allocator's and
 * the stack depot's. Weak: a runtime without them leaves fork() as it is. */
extern void asan_force_lock(void) __asm__("_ZN6__asan18asan_mz_force_lockEv")
	__attribute__((weak));
extern void asan_force_unlock(void) __asm__("_ZN6__asan20asan_mz_force_unlockEv")
	__attribute__((weak));
extern void depot_lock(void) __asm__("_ZN11__sanitizer17StackDepotLockAllEv")
	__attribute__((weak));
extern void depot_unlock(void) __asm__("_ZN11__sanitizer19StackDepotUnlockAllEv")
	__attribute__((weak));

static void before_fork(void)
{
	asan_force_lock();
	depot_lock();
}

static void after_fork(void)
{
	depot_unlock();
	asan_force_unlock();
}

static void install(void)
{
	if (asan_force_lock && asan_force_unlock && depot_lock && depot_unlock)
		pthread_atfork(before_fork, after_fork, after_fork);
}
#else
static void install(void)
{
}
#endif

void k1s_fork_guard(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, install);
}
