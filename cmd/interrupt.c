/*
 * Ctrl-C and SIGTERM for fetch and discover, and the progress lines they
 * print when stderr is not a terminal.  The first signal sets a flag the
 * command's loops look at (they stop within a fraction of a second and
 * keep what they have); a second one ends the process at once.  After
 * its clean-up the command dies of the signal it got (cmd_interrupt_exit),
 * as a shell expects: status 130 for SIGINT, 143 for SIGTERM.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "util/util.h"

static volatile sig_atomic_t stop_signal;

static void
on_signal(int sig)
{
	if (stop_signal != 0) {
		/* the second one: at once (signal and raise are
		 * async-signal-safe) */
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	stop_signal = sig;
}

void
cmd_signals_catch(void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: a poll cut short looks at the flag at once */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

const volatile sig_atomic_t *
cmd_interrupt_catch(void)
{
	cmd_signals_catch(on_signal);
	return &stop_signal;
}

const char *
cmd_interrupt_name(void)
{
	return stop_signal == SIGTERM ? "SIGTERM" : "SIGINT";
}

void
cmd_interrupt_exit(void)
{
	int sig = stop_signal;

	if (sig == 0)
		return;
	fflush(stdout);
	fflush(stderr);
	signal(sig, SIG_DFL);
	raise(sig);
	_exit(128 + sig);	/* not reached: the signal ends the process */
}

void
cmd_progress_line(const char *fmt, ...)
{
	char when[21];
	va_list ap;

	time_iso8601((int64_t)time(NULL), when);
	va_start(ap, fmt);
	fprintf(stderr, "%s kbfix: ", when);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
