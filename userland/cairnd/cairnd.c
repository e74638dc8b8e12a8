// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cairnd - the Cairn daemon.
 *
 *   cairnd [-f] [-c PATH] [--pidfile PATH] [--restore-only]
 *
 * At start it loads the kernel modules (LIO's only when the configuration
 * has exports), reads the configuration and
 * restores it (cairn_restore(): pools, volumes, exports), then follows the
 * kernel's netlink events: each is logged, and the configured hooks for it
 * run as `sh -c COMMAND` with CAIRN_EVENT, CAIRN_POOL, CAIRN_VALUE,
 * CAIRN_CAPACITY and CAIRN_ALLOCATED in their environment.  SIGHUP reloads
 * the configuration and restores again; SIGTERM and SIGINT stop the daemon
 * (pools stay open: the kernel keeps serving them without it).
 *
 * Threads:
 *
 *   main    owns the configuration; waits for signals on a signalfd and
 *           runs restore (at start and on SIGHUP).
 *   events  blocks in cairn_nl_events() on its own netlink socket, which
 *           main subscribes before the first restore so that the
 *           restore's own events are seen; logs each event and queues a
 *           job for each hook that matches it.  It never waits for a hook.
 *           Resubscribes when the socket fails (an overrun loses events:
 *           that is logged).
 *   hooks   runs the queued jobs one at a time, in event order, each
 *           bounded by HOOK_TIMEOUT_S (then its process group is killed).
 *
 * The configuration is shared through RCU (liburcu, memb flavour): the
 * events thread matches hooks under rcu_read_lock(); a reload publishes
 * the new configuration with rcu_assign_pointer() and frees the old one
 * after synchronize_rcu().  Jobs carry copies of their command, so a
 * reload never pulls a string from under a queued hook.
 *
 * Shutdown: the events thread is cancelled (it is only cancellable while
 * it waits in the kernel; its callback runs with cancellation disabled, so
 * it is never stopped inside a read-side critical section or holding the
 * queue's lock), then the hooks thread is told to stop: queued jobs are
 * dropped and a running hook gets SIGTERM, then SIGKILL after a grace.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <urcu.h>

#include "cairnd.h"
#include "uapi/cairn_nl.h"

#define HOOK_QUEUE_MAX		256
#define HOOK_TIMEOUT_S		60
#define HOOK_GRACE_MS		2000	/* SIGTERM to SIGKILL at shutdown */
#define RESUBSCRIBE_S		5

/* The configuration the other threads read: RCU-protected. */
struct cairn_config *cfg_rcu;
const char *config_file;
static bool witness;

struct hook_job {
	struct hook_job *next;
	struct cairn_event_desc ev;
	char name[32];			/* cairnd's own events: their name */
	char reason[160];		/* ... and why */
	char command[sizeof(((struct cairn_cfg_hook *)0)->command)];
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct hook_job *head, **tail;
	unsigned int len;
	unsigned int dropped;		/* queue full, since the last report */
	bool stop;
	int stopfd;			/* eventfd: wakes a hook wait at stop */
} hq = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.tail = &hq.head,
	.stopfd = -1,
};

static void restore_log(int prio, const char *msg, void *arg)
{
	syslog(prio, "%s", msg);
}

/* ---- events ---- */

static int event_prio(const struct cairn_event_desc *ev)
{
	switch (ev->event) {
	case CAIRN_EVENT_MODE_CHANGED:
		return ev->value >= CAIRN_POOL_READ_ONLY ? LOG_CRIT : LOG_WARNING;
	case CAIRN_EVENT_METADATA_ERROR:
	case CAIRN_EVENT_MEMBER_IO_ERROR:
		return LOG_ERR;
	case CAIRN_EVENT_OUT_OF_SPACE:
	case CAIRN_EVENT_THRESHOLD_UP:
		return LOG_WARNING;
	default:
		return LOG_NOTICE;
	}
}

static void event_log(const struct cairn_event_desc *ev)
{
	char detail[96] = "", cap[32], alloc[32];
	int e = (int)(int64_t)ev->value;

	switch (ev->event) {
	case CAIRN_EVENT_MODE_CHANGED:
		snprintf(detail, sizeof(detail), " (%s)", cairn_mode_name(ev->value));
		break;
	case CAIRN_EVENT_METADATA_ERROR:
		snprintf(detail, sizeof(detail), " (%s)", strerror(e < 0 ? -e : e));
		break;
	case CAIRN_EVENT_MEMBER_ADDED:
	case CAIRN_EVENT_MEMBER_IO_ERROR:
		snprintf(detail, sizeof(detail), " (member %" PRIu64 ")", ev->value);
		break;
	}
	if (ev->volume[0]) {		/* the mirror's */
		syslog(ev->event == CAIRN_EVENT_LINK_UP ||
		       ev->event == CAIRN_EVENT_RESYNC_DONE ||
		       ev->event == CAIRN_EVENT_ROLE_CHANGED ? LOG_NOTICE : LOG_WARNING,
		       "volume %s/%s: %s (%" PRIu64 ")", ev->pool, ev->volume,
		       cairn_event_name(ev->event), ev->value);
		return;
	}
	cairn_human_size(ev->capacity, cap, sizeof(cap));
	cairn_human_size(ev->allocated, alloc, sizeof(alloc));
	syslog(event_prio(ev), "pool %s: %s%s; capacity %s, allocated %s (%u%%)",
	       ev->pool, cairn_event_name(ev->event), detail, cap, alloc,
	       ev->capacity ? (unsigned int)(ev->allocated * 100 / ev->capacity) : 0);
}

/*
 * Queue a job for each hook of @ev's event (called in a read-side
 * section); @name and @reason: one of cairnd's own events (ha.c).
 */
static void hooks_queue(const struct cairn_config *cfg,
			const struct cairn_event_desc *ev, const char *own,
			const char *reason)
{
	const char *name = own ? own : cairn_event_name(ev->event);
	struct hook_job *job;
	unsigned int i;

	for (i = 0; cfg && i < cfg->nr_hooks; i++) {
		const struct cairn_cfg_hook *h = &cfg->hooks[i];

		if (strcmp(h->event, "*") && strcmp(h->event, name))
			continue;
		job = calloc(1, sizeof(*job));
		if (!job) {
			syslog(LOG_ERR, "hook for %s on pool %s: out of memory",
			       name, ev->pool);
			continue;
		}
		job->ev = *ev;
		if (own) {
			snprintf(job->name, sizeof(job->name), "%s", own);
			snprintf(job->reason, sizeof(job->reason), "%s", reason);
		}
		snprintf(job->command, sizeof(job->command), "%s", h->command);
		pthread_mutex_lock(&hq.lock);
		if (hq.len >= HOOK_QUEUE_MAX || hq.stop) {
			hq.dropped++;
			pthread_mutex_unlock(&hq.lock);
			free(job);
			continue;
		}
		*hq.tail = job;
		hq.tail = &job->next;
		hq.len++;
		pthread_cond_signal(&hq.cond);
		pthread_mutex_unlock(&hq.lock);
	}
}

static int on_event(const struct cairn_event_desc *ev, void *arg)
{
	int old;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &old);
	event_log(ev);
	peers_event(ev);
	rcu_read_lock();
	hooks_queue(rcu_dereference(cfg_rcu), ev, NULL, NULL);
	rcu_read_unlock();
	pthread_setcancelstate(old, NULL);
	return 0;
}

void cairnd_event(const char *pool, const char *volume, const char *name,
		  const char *reason)
{
	struct cairn_event_desc ev = { 0 };

	snprintf(ev.pool, sizeof(ev.pool), "%s", pool);
	snprintf(ev.volume, sizeof(ev.volume), "%s", volume);
	rcu_read_lock();
	hooks_queue(rcu_dereference(cfg_rcu), &ev, name, reason);
	rcu_read_unlock();
}

static void events_cleanup(void *arg)
{
	struct cairn_nl **nl = arg;

	cairn_nl_close(*nl);
	*nl = NULL;
}

static void rcu_cleanup(void *arg)
{
	rcu_unregister_thread();
}

/*
 * Subscribe, follow, resubscribe: never returns.  Cancellation is enabled
 * only around the two waits (for events, and between attempts), never
 * while the socket in *@nlp is being set up or freed.
 */
static void events_follow(struct cairn_nl **nlp)
{
	bool told = false;
	int r;

	for (;;) {
		r = *nlp ? 0 : cairn_nl_open(nlp);	/* main's, at first */
		if (r) {
			*nlp = NULL;
			if (!told)
				syslog(LOG_ERR, "cannot follow kernel events: %s; "
				       "retrying every %d s",
				       r == -ENOENT ? "cairn.ko not loaded" : strerror(-r),
				       RESUBSCRIBE_S);
			told = true;
		} else {
			if (told)
				syslog(LOG_NOTICE, "following kernel events");
			told = false;
			pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
			r = cairn_nl_events(*nlp, on_event, NULL);
			pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
			syslog(LOG_ERR, "kernel events: %s%s; resubscribing",
			       *cairn_nl_error(*nlp) ? cairn_nl_error(*nlp) : strerror(-r),
			       r == -ENOMEM ? " (events may have been lost)" : "");
			cairn_nl_close(*nlp);
			*nlp = NULL;
		}
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
		sleep(told ? RESUBSCRIBE_S : 1);
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	}
}

static void *events_thread(void *arg)
{
	struct cairn_nl *nl = arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	rcu_register_thread();
	pthread_cleanup_push(rcu_cleanup, NULL);
	pthread_cleanup_push(events_cleanup, &nl);
	events_follow(&nl);
	pthread_cleanup_pop(1);
	pthread_cleanup_pop(1);
	return NULL;
}

/* ---- hooks ---- */

static char *__attribute__((format(printf, 1, 2))) env_var(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}

/* environ without CAIRN_*, then the event's CAIRN_* variables. */
static char **hook_env(const struct hook_job *job)
{
	const struct cairn_event_desc *ev = &job->ev;
	unsigned int n = 0, i = 0, k;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 8, sizeof(*env));
	if (!env)
		return NULL;
	for (n = 0; environ[n]; n++)
		if (strncmp(environ[n], "CAIRN_", 6))
			env[i++] = environ[n];
	k = i;
	env[i++] = env_var("CAIRN_EVENT=%s", job->name[0] ? job->name :
			   cairn_event_name(ev->event));
	env[i++] = env_var("CAIRN_REASON=%s", job->reason);
	env[i++] = env_var("CAIRN_POOL=%s", ev->pool);
	env[i++] = env_var("CAIRN_VOLUME=%s", ev->volume);
	env[i++] = env_var("CAIRN_VALUE=%" PRIu64, ev->value);
	env[i++] = env_var("CAIRN_CAPACITY=%" PRIu64, ev->capacity);
	env[i++] = env_var("CAIRN_ALLOCATED=%" PRIu64, ev->allocated);
	for (; k < i; k++) {
		if (!env[k]) {
			for (k = i - 7; k < i; k++)
				free(env[k]);
			free(env);
			return NULL;
		}
	}
	return env;
}

static void hook_env_free(char **env)
{
	unsigned int i;

	for (i = 0; env[i]; i++)
		if (!strncmp(env[i], "CAIRN_", 6))
			free(env[i]);
	free(env);
}

/* In the child: only async-signal-safe calls until exec. */
static void hook_exec(const char *command, char **env)
{
	sigset_t none;
	int fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setpgid(0, 0);
	fd = open("/dev/null", O_RDONLY);
	if (fd > 0) {
		dup2(fd, 0);
		close(fd);
	}
	close_range(3, ~0U, 0);
	execle("/bin/sh", "sh", "-c", command, (char *)NULL, env);
	_exit(127);
}

/*
 * Wait up to @ms for hook @pid to end, and for the daemon's stop too if
 * @stop.  Returns 1 when it ended (reaped, status in *@status), 0 on
 * timeout, 2 when the daemon is stopping.  Without a pidfd (valgrind does
 * not know pidfd_open) it looks every 100 ms.
 */
static int hook_wait(pid_t pid, int pidfd, int ms, bool stop, int *status)
{
	struct pollfd p[2] = {
		{ .fd = pidfd, .events = POLLIN },
		{ .fd = stop ? hq.stopfd : -1, .events = POLLIN },
	};
	struct timespec t0, t;
	int left = ms, r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		r = waitpid(pid, status, WNOHANG);
		if (r == pid || (r < 0 && errno != EINTR))
			return 1;
		if (left <= 0)
			return 0;
		if (poll(p, 2, pidfd >= 0 || left < 100 ? left : 100) > 0 &&
		    p[1].revents)
			return 2;
		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - (int)((t.tv_sec - t0.tv_sec) * 1000 +
				  (t.tv_nsec - t0.tv_nsec) / 1000000);
	}
}

static void hook_run(const struct hook_job *job)
{
	const char *name = job->name[0] ? job->name : cairn_event_name(job->ev.event);
	int pidfd, status = 0, w;
	char **env;
	pid_t pid;

	env = hook_env(job);
	if (!env) {
		syslog(LOG_ERR, "hook `%s`: out of memory", job->command);
		return;
	}
	pid = fork();
	if (pid < 0) {
		syslog(LOG_ERR, "hook `%s`: fork: %m", job->command);
		hook_env_free(env);
		return;
	}
	if (!pid)
		hook_exec(job->command, env);
	setpgid(pid, pid);	/* as the child does: no race with kill(-pid) */
	hook_env_free(env);

	pidfd = pidfd_open(pid, 0);
	w = hook_wait(pid, pidfd, HOOK_TIMEOUT_S * 1000, true, &status);
	if (w == 0) {
		syslog(LOG_WARNING, "hook `%s` for %s on pool %s: still running after %d s, killed",
		       job->command, name, job->ev.pool, HOOK_TIMEOUT_S);
		kill(-pid, SIGKILL);
	} else if (w == 2) {
		kill(-pid, SIGTERM);
		w = hook_wait(pid, pidfd, HOOK_GRACE_MS, false, &status);
		if (w != 1)
			kill(-pid, SIGKILL);
	}
	if (w != 1)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	if (pidfd >= 0)
		close(pidfd);
	if (WIFEXITED(status) && !WEXITSTATUS(status))
		syslog(LOG_INFO, "hook `%s` for %s on pool %s: done", job->command,
		       name, job->ev.pool);
	else if (WIFEXITED(status))
		syslog(LOG_WARNING, "hook `%s` for %s on pool %s: exit status %d",
		       job->command, name, job->ev.pool, WEXITSTATUS(status));
	else
		syslog(LOG_WARNING, "hook `%s` for %s on pool %s: killed by signal %d",
		       job->command, name, job->ev.pool, WTERMSIG(status));
}

static void *hooks_thread(void *arg)
{
	struct hook_job *job;
	unsigned int dropped;

	for (;;) {
		pthread_mutex_lock(&hq.lock);
		while (!hq.head && !hq.stop)
			pthread_cond_wait(&hq.cond, &hq.lock);
		if (hq.stop) {
			pthread_mutex_unlock(&hq.lock);
			break;
		}
		job = hq.head;
		hq.head = job->next;
		if (!hq.head)
			hq.tail = &hq.head;
		hq.len--;
		dropped = hq.dropped;
		hq.dropped = 0;
		pthread_mutex_unlock(&hq.lock);
		if (dropped)
			syslog(LOG_WARNING, "%u hook run(s) dropped: more than %d queued",
			       dropped, HOOK_QUEUE_MAX);
		hook_run(job);
		free(job);
	}
	return NULL;
}

static void hooks_stop(pthread_t t)
{
	struct hook_job *job;
	uint64_t one = 1;
	unsigned int n = 0;

	pthread_mutex_lock(&hq.lock);
	hq.stop = true;
	pthread_cond_signal(&hq.cond);
	pthread_mutex_unlock(&hq.lock);
	if (write(hq.stopfd, &one, sizeof(one)) != sizeof(one))
		syslog(LOG_ERR, "cannot wake the hooks thread: %m");
	pthread_join(t, NULL);
	while ((job = hq.head)) {
		hq.head = job->next;
		free(job);
		n++;
	}
	if (n)
		syslog(LOG_NOTICE, "%u queued hook run(s) dropped at exit", n);
}

/* ---- configuration ---- */

static struct cairn_config *config_load(const char *path)
{
	struct cairn_config *cfg = calloc(1, sizeof(*cfg));
	char err[512];
	int r;

	if (!cfg) {
		syslog(LOG_ERR, "configuration: out of memory");
		return NULL;
	}
	r = cairn_config_load(path, cfg, err, sizeof(err));
	if (r) {
		if (*err)	/* names the file */
			syslog(LOG_ERR, "configuration: %s", err);
		else
			syslog(LOG_ERR, "configuration %s: %s",
			       path ? path : cairn_config_path(), strerror(-r));
		cairn_config_free(cfg);
		free(cfg);
		return NULL;
	}
	return cfg;
}

static void config_free(struct cairn_config *cfg)
{
	if (!cfg)
		return;
	cairn_config_free(cfg);
	free(cfg);
}

/* SIGHUP: a new configuration (if it loads), then restore again. */
static void reload(const char *path, struct cairn_config **cfgp)
{
	struct cairn_config *n = config_load(path), *old = *cfgp;

	if (n) {
		rcu_assign_pointer(cfg_rcu, n);
		synchronize_rcu();
		config_free(old);
		*cfgp = n;
		syslog(LOG_NOTICE, "configuration reloaded: %u pool(s), "
		       "%u volume(s), %u target(s), %u hook(s)",
		       n->nr_pools, n->nr_volumes, n->nr_targets, n->nr_hooks);
	} else {
		syslog(LOG_WARNING, "keeping the previous configuration");
	}
	if (!witness)
		cairn_restore(*cfgp, restore_log, NULL);
	peers_reload();
	ha_reload();
}

/* ---- process ---- */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cairnd [-f] [-c PATH] [--pidfile PATH] [--restore-only]\n"
		"       cairnd [-f] [-c PATH] [--pidfile PATH] --witness [--witness-state PATH]\n"
		"  -f, --foreground   stay in the foreground, log to stderr as well\n"
		"  -c, --config PATH  configuration (default $CAIRN_CONFIG or %s)\n"
		"      --pidfile PATH write the daemon's pid there (default $CAIRN_PIDFILE\n"
		"                     or %s: cairnctl signals the cairnd it names)\n"
		"      --restore-only restore the configuration and exit\n"
		"                     (status 0 if nothing failed, else 1)\n"
		"      --witness      be the witness of mirrored pairs (no kernel\n"
		"                     module, no restore: the heartbeat only)\n"
		"      --witness-state PATH\n"
		"                     where the witness keeps its outdated flags\n"
		"                     (default " CAIRN_WITNESS_STATE_PATH ")\n"
		"  -h, --help         this help\n", CAIRN_CONFIG_PATH, CAIRN_PIDFILE_PATH);
}

/* systemd connects stderr to the journal and says so: do not log twice. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st))
		return false;
	return st.st_dev == dev && st.st_ino == ino;
}

static int daemonize(void)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0)
		return -errno;
	if (pid)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid)
		_exit(0);
	if (chdir("/"))
		return -errno;
	fd = open("/dev/null", O_RDWR);
	if (fd < 0)
		return -errno;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
	return 0;
}

/*
 * Created, locked and kept open; refused while another cairnd holds it.
 * The default one (@must false) may be impossible to write: -2, and
 * cairnctl cannot signal this cairnd then.
 */
static int pidfile_write(const char *path, bool must)
{
	char buf[32];
	int fd, n;

	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		syslog(must ? LOG_ERR : LOG_WARNING, "pid file %s: %m%s", path,
		       must ? "" : "; cairnctl will not tell this cairnd of changes");
		return must ? -1 : -2;
	}
	if (lockf(fd, F_TLOCK, 0)) {
		syslog(LOG_ERR, "pid file %s: locked: another cairnd is running", path);
		close(fd);
		return -1;
	}
	n = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) || write(fd, buf, n) != n) {
		syslog(LOG_ERR, "pid file %s: %m", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* A path that still means the same file after chdir("/"). */
static char *absolute(const char *path)
{
	char cwd[4096], *out;

	if (path[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return strdup(path);
	return asprintf(&out, "%s/%s", cwd, path) < 0 ? NULL : out;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "config", required_argument, NULL, 'c' },
		{ "pidfile", required_argument, NULL, 'p' },
		{ "restore-only", no_argument, NULL, 'r' },
		{ "witness", no_argument, NULL, 'w' },
		{ "witness-state", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool foreground = false, restore_only = false;
	char *config = NULL, *pidfile = NULL, *wstate = NULL, err[512];
	struct cairn_config *cfg;
	struct cairn_nl *evnl;
	pthread_t events, hooks;
	struct signalfd_siginfo si;
	int c, r, sfd, pidfd = -1, failures = 0;
	sigset_t mask;

	while ((c = getopt_long(argc, argv, "fc:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			foreground = true;
			break;
		case 'c':
			config = optarg;
			break;
		case 'p':
			pidfile = optarg;
			break;
		case 'r':
			restore_only = true;
			break;
		case 'w':
			witness = true;
			break;
		case 's':
			wstate = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (witness && restore_only) || (wstate && !witness)) {
		usage(stderr);
		return 2;
	}
	if (!foreground && !restore_only) {
		config = config ? absolute(config) : NULL;
		pidfile = pidfile ? absolute(pidfile) : NULL;
		wstate = wstate ? absolute(wstate) : NULL;
		r = daemonize();
		if (r) {
			fprintf(stderr, "cairnd: cannot become a daemon: %s\n",
				strerror(-r));
			return 1;
		}
	}
	openlog("cairnd", LOG_PID | LOG_NDELAY |
		((foreground || restore_only) && !stderr_is_journal() ?
		 LOG_PERROR : 0), LOG_DAEMON);

	/* Signals arrive on the signalfd only, and no thread takes them. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	hq.stopfd = eventfd(0, EFD_CLOEXEC);
	if (sfd < 0 || hq.stopfd < 0) {
		syslog(LOG_ERR, "signalfd/eventfd: %m");
		return 1;
	}
	if (!restore_only) {
		bool given = pidfile;

		if (!given)
			pidfile = strdup(cairn_pidfile_path());
		pidfd = pidfile ? pidfile_write(pidfile, given) : -2;
		if (pidfd == -1)
			return 1;
	}
	config_file = config;

	/* LIO's modules come with the first export (restore loads them). */
	r = witness ? 0 : cairn_kmod_load_all(false, err, sizeof(err));
	if (r) {
		syslog(LOG_ERR, "loading kernel modules: %s", err);
		failures++;
	}
	cfg = config_load(config);
	if (!cfg) {
		failures++;
		cfg = calloc(1, sizeof(*cfg));	/* go on with nothing configured */
		if (!cfg) {
			syslog(LOG_ERR, "out of memory");
			return 1;
		}
	}
	if (restore_only) {
		failures += cairn_restore(cfg, restore_log, NULL);
		config_free(cfg);
		closelog();
		return failures ? 1 : 0;
	}

	/*
	 * Join the events group before restoring, so that the restore's own
	 * events (pool-opened) are logged and run their hooks.  If cairn.ko
	 * is not there yet, the events thread keeps trying.
	 */
	if (witness || cairn_nl_open(&evnl)) {
		evnl = NULL;
	} else if (cairn_nl_subscribe(evnl)) {
		cairn_nl_close(evnl);
		evnl = NULL;
	}
	rcu_assign_pointer(cfg_rcu, cfg);
	r = pthread_create(&hooks, NULL, hooks_thread, NULL);
	if (!r && !witness)	/* a witness has no cairn.ko */
		r = pthread_create(&events, NULL, events_thread, evnl);
	if (r) {
		syslog(LOG_ERR, "cannot start threads: %s", strerror(r));
		return 1;
	}
	if (!witness) {
		cairn_restore(cfg, restore_log, NULL);
		r = peers_start(cairn_config_port(cfg));
		if (r)
			syslog(LOG_ERR, "cannot start the peer threads: %s",
			       strerror(-r));
	}
	r = ha_start(witness, wstate);
	if (r && witness)
		return 1;
	syslog(LOG_NOTICE, "started%s: configuration %s, %u hook(s), %u peer(s)%s%s",
	       witness ? " as a witness" : "",
	       config ? config : cairn_config_path(), cfg->nr_hooks,
	       cfg->nr_peers, cfg->ha.witness[0] ? ", witness " : "",
	       cfg->ha.witness);

	for (;;) {
		ssize_t n = read(sfd, &si, sizeof(si));

		if (n < 0 && errno == EINTR)
			continue;
		if (n != sizeof(si)) {
			syslog(LOG_ERR, "signalfd: %m");
			break;
		}
		if (si.ssi_signo == SIGHUP) {
			syslog(LOG_NOTICE, "SIGHUP: reloading");
			reload(config, &cfg);
			continue;
		}
		syslog(LOG_NOTICE, "%s: stopping; pools stay open",
		       si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
		break;
	}

	ha_stop();
	peers_stop();
	if (!witness) {
		pthread_cancel(events);
		pthread_join(events, NULL);
	}
	hooks_stop(hooks);
	rcu_assign_pointer(cfg_rcu, NULL);
	synchronize_rcu();
	config_free(cfg);
	if (pidfd >= 0) {
		unlink(pidfile);
		close(pidfd);
	}
	syslog(LOG_NOTICE, "stopped");
	closelog();
	return 0;
}
