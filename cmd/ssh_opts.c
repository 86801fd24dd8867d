/*
 * The SSH options of the commands that connect to hosts (README "SSH
 * options"): one table entry list (CMD_SSH_LONGOPTS, cmd/cmd.h), one usage
 * text and one function that reads them into struct transport_opts, for
 * discover, evidence, apply, resume and rollback.
 */
#include <stddef.h>

#include "cmd/cmd.h"
#include "deploy/deploy.h"
#include "transport/transport.h"

#define PARALLEL_USAGE \
"  -p, --parallel N        open at most N connections at a time (32)\n"
#define CONN_USAGE \
"      --known-hosts FILE  OpenSSH known_hosts (~/.ssh/known_hosts); an\n" \
"                          unknown or changed host key is refused\n" \
"      --accept-new        trust unknown host keys and record them\n" \
"  -k, --key FILE          private key (default: ssh-agent)\n" \
"  -u, --user USER         user for hosts without one (default: $USER)\n" \
"      --connect-timeout S per host connect timeout in seconds (10)\n" \
"      --command-timeout S per host command timeout in seconds (600)\n"

const char cmd_ssh_usage[] = PARALLEL_USAGE CONN_USAGE;
const char cmd_ssh_conn_usage[] = CONN_USAGE;

int
cmd_ssh_opt(int ch, const char *arg, struct transport_opts *o)
{
	int s;

	switch (ch) {
	case 'k': o->key_file = arg; return 1;
	case 'u': o->user = arg; return 1;
	case CMD_OPT_KNOWN: o->known_hosts = arg; return 1;
	case CMD_OPT_ACCEPT: o->accept_new = 1; return 1;
	case 'p':
		return cmd_opt_int("parallel", arg, 1, 10000, &o->parallel) ==
		    -1 ? -1 : 1;
	case CMD_OPT_CTIMEOUT:
	case CMD_OPT_XTIMEOUT:
		if (cmd_opt_int(ch == CMD_OPT_CTIMEOUT ? "connect-timeout" :
		    "command-timeout", arg, 1, 86400, &s) == -1)
			return -1;
		*(ch == CMD_OPT_CTIMEOUT ? &o->connect_timeout_ms :
		    &o->command_timeout_ms) = s * 1000;
		return 1;
	}
	return 0;
}

void
cmd_ssh_deploy(const struct transport_opts *ssh, struct deploy_opts *o)
{
	if (ssh->known_hosts)
		o->known_hosts = ssh->known_hosts;
	if (ssh->accept_new)
		o->accept_new = 1;
	if (ssh->key_file)
		o->key_file = ssh->key_file;
	if (ssh->user)
		o->user = ssh->user;
	if (ssh->parallel)
		o->parallel = ssh->parallel;
	if (ssh->connect_timeout_ms)
		o->connect_timeout_ms = ssh->connect_timeout_ms;
	if (ssh->command_timeout_ms)
		o->command_timeout_ms = ssh->command_timeout_ms;
}
