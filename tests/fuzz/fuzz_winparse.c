/*
 * libFuzzer target: the parsers of Windows command output (reg query and
 * the OS read from it, dism /get-packages, wmic values, tables and qfe,
 * netsh, the CIM multicast value, systeminfo list and CSV, wevtutil /f:xml,
 * UTF-16 text),
 * on the raw bytes libFuzzer gives (not NUL-terminated).  The first byte
 * picks the parser (tests/fuzz/corpus/winparse: one capture of
 * tests/fixtures/windows per parser, prefixed by its byte).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "transport/transport.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
wmic(const char *p, size_t len)
{
	char **kbs = NULL, *v;
	size_t n = 0;
	int64_t t;

	free(transport_win_wmic_value(p, len, "LastBootUpTime"));
	free(transport_win_wmic_column(p, len, "LastBootUpTime"));
	free(transport_win_wmic_column(p, len, "HotFixID"));
	transport_win_cim_multicast(p, len);
	if (transport_win_wmic_qfe(p, len, &kbs, &n) == 0)
		strv_free(kbs, n);
	v = xstrndup(p, len);
	transport_win_wmi_datetime(v, &t);
	free(v);
}

static void
os(const char *p, size_t len)
{
	struct winreg_list r;
	struct winos o;

	if (transport_win_reg_query(p, len, &r) == -1)
		return;
	if (transport_win_os(&r, &r, &o) == 0)
		transport_winos_release(&o);
	transport_winreg_list_release(&r);
}

static void
dism(const char *p, size_t len)
{
	struct dism_list d;

	if (transport_win_dism_packages(p, len, &d) == -1)
		return;
	if (d.n > 0)
		transport_dism_find(&d, d.p[d.n - 1].identity);
	transport_dism_list_release(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data + 1;
	struct winreg_list r;
	struct winsysinfo si;
	struct winevent_list ev;
	size_t n;

	if (len == 0)
		return 0;
	len--;
	switch (data[0] % 9) {
	case 0:
		if (transport_win_reg_query(p, len, &r) == 0)
			transport_winreg_list_release(&r);
		break;
	case 1:
		dism(p, len);
		break;
	case 2:
		wmic(p, len);
		break;
	case 3:
		free(transport_win_netsh_value(p, len, "Multicast Forwarding"));
		transport_win_netsh_multicast(p, len);
		break;
	case 4:
		if (transport_win_systeminfo_csv(p, len, &si) == 0)
			transport_winsysinfo_release(&si);
		break;
	case 5:
		if (transport_win_systeminfo(p, len, &si) == 0)
			transport_winsysinfo_release(&si);
		break;
	case 6:
		os(p, len);
		break;
	case 7:
		if (transport_winevent_parse(p, len, &ev) == 0)
			transport_winevent_list_release(&ev);
		break;
	default:
		free(transport_win_text(p, len, &n));
	}
	return 0;
}
