/*
 * Exit codes of wusa.exe, dism.exe and shutdown.exe in one place
 * (FACTS.md section 4).  cmd.exe prints HRESULTs as negative numbers;
 * here every code is unsigned 32-bit.
 */
#include <stddef.h>
#include <stdint.h>

#include "util/util.h"
#include "transport/transport.h"

static const struct winexit common[] = {
	{ 0,		WINEXIT_OK,		"success" },
	{ 3010,		WINEXIT_OK_REBOOT,	"success, reboot required" },
	{ 1641,		WINEXIT_REBOOTING,	"success, reboot started" },
	{ 5,		WINEXIT_DENIED,		"access denied" },
	{ 87,		WINEXIT_FAILED,		"bad parameter" },
	{ 1618,		WINEXIT_BUSY,		"another installation is in progress" },
	{ 0x80070005,	WINEXIT_DENIED,		"access denied" },
	{ 0x80070BC2,	WINEXIT_OK_REBOOT,	"success, reboot required" },
	{ 0x80070BC9,	WINEXIT_BUSY,		"a reboot is pending from an earlier operation" },
};

/* wusa: the Windows Update Agent's WU_S_* / WU_E_* results. */
static const struct winexit wusa[] = {
	{ 0x00240005,	WINEXIT_OK_REBOOT,	"success, reboot required" },
	{ 0x00240006,	WINEXIT_ALREADY,	"update already installed" },
	{ 0x00240007,	WINEXIT_ALREADY,	"update already uninstalled" },
	{ 0x80240017,	WINEXIT_NOT_APPLICABLE,	"update not applicable" },
	{ 0x80240016,	WINEXIT_BUSY,		"install not allowed: reboot pending or install running" },
};

static const struct winexit dism[] = {
	{ 0x800F081E,	WINEXIT_NOT_APPLICABLE,	"package not applicable" },
	{ 0x800F0922,	WINEXIT_FAILED,		"package failed to install (CBS servicing error)" },
	{ 0x800F082F,	WINEXIT_BUSY,		"a reboot is pending" },
	{ 0x80240017,	WINEXIT_NOT_APPLICABLE,	"update not applicable" },
	{ 0x00240006,	WINEXIT_ALREADY,	"package already installed" },
	{ 0x00240007,	WINEXIT_ALREADY,	"package already uninstalled" },
	{ 2,		WINEXIT_FAILED,		"file not found" },
};

static const struct winexit shutdown[] = {
	{ 0,		WINEXIT_OK,		"success" },
	{ 1190,		WINEXIT_BUSY,		"a shutdown is already scheduled (abort it with shutdown /a)" },
	{ 1115,		WINEXIT_BUSY,		"a system shutdown is in progress" },
	{ 1116,		WINEXIT_FAILED,		"no shutdown was scheduled (nothing to abort)" },
	{ 5,		WINEXIT_DENIED,		"access denied" },
	{ 87,		WINEXIT_FAILED,		"bad parameter" },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static const struct winexit *
find(const struct winexit *t, size_t n, uint32_t code)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].code == code)
			return &t[i];
	return NULL;
}

const struct winexit *
transport_winexit_lookup(enum winexit_tool tool, uint32_t code)
{
	const struct winexit *e = NULL;

	switch (tool) {
	case WINEXIT_WUSA:
		e = find(wusa, NELEM(wusa), code);
		break;
	case WINEXIT_DISM:
		e = find(dism, NELEM(dism), code);
		break;
	case WINEXIT_SHUTDOWN:
		return find(shutdown, NELEM(shutdown), code);
	}
	return e != NULL ? e : find(common, NELEM(common), code);
}

enum winexit_class
transport_winexit_classify(enum winexit_tool tool, uint32_t code)
{
	const struct winexit *e = transport_winexit_lookup(tool, code);

	return e != NULL ? e->class : WINEXIT_FAILED;
}

int
transport_winexit_describe(struct buf *b, enum winexit_tool tool, uint32_t code)
{
	const struct winexit *e = transport_winexit_lookup(tool, code);
	const char *m = e != NULL ? e->meaning : "unknown";

	if (code > 0xffff)
		return buf_addf(b, "0x%08x (%s)", code, m);
	return buf_addf(b, "%u (%s)", code, m);
}
