/* The control loop: one epoll set with fd callbacks, one-shot timers and
 * before-sleep hooks, on the main thread. Modules of the control side
 * (apiserver, controllers, runtime) register here; reconciliation runs
 * from the before-sleep hooks, so a burst of store writes costs one pass.
 *
 * Threading: every k1s_loop_* call is made on the loop's own thread. */
#ifndef K1S_LOOP_H
#define K1S_LOOP_H

#include <stdbool.h>
#include <stdint.h>

struct k1s_loop;
struct k1s_timer;

/* Called when fd is ready for the events asked (EPOLLIN...). */
typedef void (*k1s_fd_fn)(void *arg, int fd, uint32_t events);
/* Called when a timer expires; the timer is then done and freed. */
typedef void (*k1s_timer_fn)(void *arg);
/* Called once per iteration before the loop waits. Returns the longest
 * wait it allows, in ms (-1 = no limit). */
typedef int (*k1s_hook_fn)(void *arg);

struct k1s_loop *k1s_loop_new(void);
void k1s_loop_free(struct k1s_loop *l);

/* Watches fd; one registration per fd. 0 or a negative errno. */
int k1s_loop_add_fd(struct k1s_loop *l, int fd, uint32_t events, k1s_fd_fn fn, void *arg);
int k1s_loop_del_fd(struct k1s_loop *l, int fd);

/* A one-shot timer `ms` from now. The returned handle is valid until the
 * timer fires or is cancelled. NULL on allocation failure. */
struct k1s_timer *k1s_loop_timer(struct k1s_loop *l, int64_t ms, k1s_timer_fn fn, void *arg);
void k1s_loop_cancel(struct k1s_loop *l, struct k1s_timer *t);

/* Adds a before-sleep hook (at most 16). */
int k1s_loop_hook(struct k1s_loop *l, k1s_hook_fn fn, void *arg);

/* One function to run between the other callbacks (hooks, timers, fd
 * callbacks) once K1S_LOOP_BETWEEN_MS have passed since it last ran: what
 * it serves (the API's requests) then waits for one callback at most,
 * not for a whole turn of the loop, while the modules catch up with a
 * burst. It must not call back into the loop's run. */
#define K1S_LOOP_BETWEEN_MS 2
void k1s_loop_between(struct k1s_loop *l, k1s_timer_fn fn, void *arg);

/* Runs until k1s_loop_stop() or a signal sets *stop. */
void k1s_loop_run(struct k1s_loop *l, volatile int *stop);
void k1s_loop_stop(struct k1s_loop *l);
/* Monotonic milliseconds. */
int64_t k1s_now_ms(void);

#endif
