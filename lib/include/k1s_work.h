/* A worker thread for the control loop: work too long for the loop's
 * thread (which also answers the API) runs on the worker, and its result
 * is handed back on the loop's thread, in the order queued.
 *
 * Threading: k1s_work_* are called on the loop's thread; run() runs on the
 * worker and must touch nothing the loop owns (the store included), only
 * what its arg holds; done() runs on the loop's thread. */
#ifndef K1S_WORK_H
#define K1S_WORK_H

struct k1s_loop;
struct k1s_work;

typedef void (*k1s_work_fn)(void *arg);

/* The worker thread starts at the first k1s_work_queue(). NULL on
 * allocation failure. */
struct k1s_work *k1s_work_new(struct k1s_loop *loop);
/* Runs run(arg) on the worker, then done(arg) on the loop. 0 or a
 * negative errno (neither is then called). */
int k1s_work_queue(struct k1s_work *w, k1s_work_fn run, k1s_work_fn done, void *arg);
/* Waits for the work running now, then stops the worker. Queued work that
 * has not run, and work run but not yet handed back, gets done() with
 * `cancelled` set to 1 beforehand (through k1s_work_cancelled()). */
void k1s_work_free(struct k1s_work *w);
/* In done(): whether the work is being handed back by k1s_work_free()
 * (run() may not have run). */
int k1s_work_cancelled(const struct k1s_work *w);

#endif
