/*
 * winsim: a Windows host simulator for the kbfix test fleet.  It is the
 * login shell of the fleet's test account: sshd runs `winsim -c "<line>"`,
 * winsim reads <line> as cmd.exe would and answers as reg, dism, expand,
 * netsh, shutdown, schtasks, wmic, systeminfo, gpupdate, type, del and
 * mkdir do (formats and exit codes: ../shared/FACTS.md section 4).  The
 * host's state lives in the directory $WINSIM_STATE; tests/README.md
 * documents it.
 *
 * Internal header of the program (not a library module).
 */
#ifndef WINSIM_H
#define WINSIM_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Windows exit codes winsim produces (FACTS.md section 4). */
#define WS_OK			0u
#define WS_FAIL			1u
#define WS_FILE_NOT_FOUND	2u
#define WS_ACCESS_DENIED	5u
#define WS_BAD_PARAMETER	87u
#define WS_SHUTDOWN_IN_PROGRESS	1115u
#define WS_NO_SHUTDOWN		1116u
#define WS_SHUTDOWN_SCHEDULED	1190u
#define WS_REBOOT_REQUIRED	3010u
#define WS_NOT_RECOGNIZED	9009u
#define WS_ALREADY_INSTALLED	0x00240006u
#define WS_ALREADY_UNINSTALLED	0x00240007u
#define WS_DISM_NOT_APPLICABLE	0x800F081Eu
#define WS_PATH_NOT_FOUND_HR	0x80070002u
#define WS_BAD_PARAMETER_HR	0x80070057u

/* One simulated host: where its state is and what a command prints. */
struct host {
	char		*dir;		/* $WINSIM_STATE */
	char		*name;		/* $WINSIM_HOST, or the profile's */
	struct buf	 out;		/* stdout of the running command */
	struct buf	 err;		/* stderr of the running command */
	int		 lockfd;
	int		 system;	/* a scheduled task, running as SYSTEM */
};

/* Profile: key=value lines in STATE/profile. */
struct profile {
	char	**keys;
	char	**vals;
	size_t	  n;
};

int	 profile_load(struct host *, struct profile *);
int	 profile_save(struct host *, const struct profile *);
void	 profile_free(struct profile *);
const char *profile_get(const struct profile *, const char *key,
	    const char *def);
void	 profile_set(struct profile *, const char *key, const char *val);

/*
 * Packages: STATE/packages,
 * "IDENTITY<TAB>STATE<TAB>TCPIP[<TAB>PRIOR[<TAB>KB]]" lines.  PRIOR is the
 * tcpip.sys version the package replaced when it took effect; removing the
 * package puts it back, as the component store does.  KB is the update's
 * KB where its identity names none (Package_for_RollupFix: wmic qfe and
 * systeminfo list it by KB, DISM by identity).
 */
struct package {
	char	*id;
	char	*state;		/* Installed, Install Pending, ... */
	char	*tcpip;		/* tcpip.sys version it installs, or "-" */
	char	*prior;		/* tcpip.sys version it replaced, or "-" */
	char	*kb;		/* "KB4338821", or "-" */
};
struct packages {
	struct package	*v;
	size_t		 n;
};

int	 packages_load(struct host *, struct packages *);
int	 packages_save(struct host *, const struct packages *);
void	 packages_free(struct packages *);
struct package *packages_find(struct packages *, const char *id);
void	 packages_add(struct packages *, const char *id, const char *state,
	    const char *tcpip);
void	 packages_remove(struct packages *, size_t i);
int	 packages_pending(const struct packages *);

/* Registry: STATE/registry (see registry.c for the format). */
struct regval {
	char	*name;		/* "" is the default value */
	char	*type;		/* REG_SZ, REG_DWORD, ... */
	char	*data;		/* as reg query prints it */
};
struct regkey {
	char		*path;	/* HKEY_LOCAL_MACHINE\... */
	struct regval	*vals;
	size_t		 nvals;
};
struct registry {
	struct regkey	*keys;
	size_t		 nkeys;
};

int	 registry_load(struct host *, struct registry *);
/* STATE/name in the registry's format (gpupdate's STATE/gpp) */
int	 registry_read(struct host *, const char *name, struct registry *);
int	 registry_save(struct host *, const struct registry *);
void	 registry_free(struct registry *);
int	 registry_exists(const struct registry *, const char *path);
struct regkey *registry_key(struct registry *, const char *path, int create);
struct regval *registry_value(struct regkey *, const char *name);
void	 registry_set(struct regkey *, const char *name, const char *type,
	    const char *data);
int	 registry_delete_value(struct regkey *, const char *name);
int	 registry_delete_key(struct registry *, const char *path);
char	*registry_root(const char *path, int *ok);

/* File versions: STATE/versions, "C:\\PATH<TAB>VERSION" lines. */
int	 version_get(struct host *, const char *winpath, char **out);
int	 version_set(struct host *, const char *winpath, const char *ver);

/* Windows paths under STATE/C. */
char	*winpath_to_host(struct host *, const char *winpath);
int	 winpath_valid(const char *winpath);

/* State helpers. */
char	*state_path(struct host *, const char *name);
int	 state_read(struct host *, const char *name, struct buf *out);
int	 state_write(struct host *, const char *name, const char *data,
	    size_t len);
int	 state_exists(struct host *, const char *name);
char	*fault_read(struct host *, const char *name);
void	 event_log(struct host *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int64_t	 now_ms(void);
void	 wmi_time(int64_t ms, char out[64]);
void	 locale_time(int64_t ms, char *out, size_t len, int seconds);
int	 host_boot(struct host *);

/* Output. */
void	 out_printf(struct host *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 err_printf(struct host *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 arg_is(const char *arg, const char *opt);
int	 arg_prefix(const char *arg, const char *opt, const char **rest);

/* Commands: argv[0] is the command name; they return a Windows code. */
uint32_t cmd_reg(struct host *, int, char **);
uint32_t cmd_dism(struct host *, int, char **);
uint32_t cmd_expand(struct host *, int, char **);
uint32_t cmd_wusa(struct host *, int, char **);
uint32_t cmd_netsh(struct host *, int, char **);
uint32_t cmd_shutdown(struct host *, int, char **);
uint32_t cmd_schtasks(struct host *, int, char **);
uint32_t cmd_wmic(struct host *, int, char **);
uint32_t cmd_systeminfo(struct host *, int, char **);
uint32_t cmd_type(struct host *, int, char **);
uint32_t cmd_del(struct host *, int, char **);
uint32_t cmd_mkdir(struct host *, int, char **);
uint32_t cmd_rmdir(struct host *, int, char **);
uint32_t cmd_ver(struct host *, int, char **);
uint32_t cmd_hostname(struct host *, int, char **);
uint32_t cmd_wevtutil(struct host *, int, char **);	/* events.c */
uint32_t cmd_gpupdate(struct host *, int, char **);	/* gpupdate.c */

/* cmd.exe command lines. */
enum join { JOIN_FIRST, JOIN_ALWAYS, JOIN_AND, JOIN_OR };
struct simple {
	char		*text;
	enum join	 join;
};
int	 cmdline_split(const char *line, struct simple **out, size_t *n);
void	 cmdline_free(struct simple *, size_t);
int	 argv_split(const char *text, char ***argv, int *argc);
void	 argv_free(char **, int);
uint32_t run_line(struct host *, const char *line);
uint32_t batch_run(struct host *, const char *winpath);	/* batch.c */
uint32_t run_simple(struct host *, const char *text);

/* Scheduled tasks (schtasks.c) run by the supervisor or /run. */
int	 task_run(struct host *, const char *name);

/* locale.c: what a non-English Windows prints (profile key locale). */
const char *loc_text(const char *loc, const char *en);
const char *const *loc_sysinfo_labels(const char *loc, const char *const *en,
	    size_t *col);
size_t	 utf8_width(const char *);

#endif
