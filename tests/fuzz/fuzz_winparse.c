/*
 * libFuzzer target: the parsers of Windows command output (reg query,
 * dism /get-packages, wmic, netsh, systeminfo /fo csv, wevtutil /f:xml,
 * UTF-16 text), on
 * the raw bytes libFuzzer gives (not NUL-terminated).  The first byte
 * picks the parser.
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
	if (transport_win_wmic_qfe(p, len, &kbs, &n) == 0)
		strv_free(kbs, n);
	v = xstrndup(p, len);
	transport_win_wmi_datetime(v, &t);
	free(v);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data + 1;
	struct winreg_list r;
	struct dism_list d;
	struct winsysinfo si;
	struct winevent_list ev;
	size_t n;

	if (len == 0)
		return 0;
	len--;
	switch (data[0] % 7) {
	case 0:
		if (transport_win_reg_query(p, len, &r) == 0)
			transport_winreg_list_release(&r);
		break;
	case 1:
		if (transport_win_dism_packages(p, len, &d) == 0)
			transport_dism_list_release(&d);
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
		if (transport_winevent_parse(p, len, &ev) == 0)
			transport_winevent_list_release(&ev);
		break;
	default:
		free(transport_win_text(p, len, &n));
	}
	return 0;
}
