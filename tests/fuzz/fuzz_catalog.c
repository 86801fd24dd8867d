/*
 * libFuzzer target: the Update Catalog page parsers (Search.aspx,
 * ScopedViewInline.aspx, DownloadDialog.aspx) and the bundle manifest, on
 * the raw bytes libFuzzer gives (not NUL-terminated: an over-read is an
 * ASAN report).  The first byte picks the parser.
 */
#include <stddef.h>
#include <stdint.h>

#include "catalog/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	const char *p = (const char *)data + 1;
	struct catalog_search_page pg;
	struct catalog_details d;
	struct catalog_download_list l;
	int retry;

	if (len == 0)
		return 0;
	len--;
	switch (data[0] % 4) {
	case 0:
		if (catalog_search_page_parse(p, len, &pg, &retry) == 0)
			catalog_search_page_release(&pg);
		break;
	case 1:
		if (catalog_details_parse(p, len, &d) == 0)
			catalog_details_release(&d);
		break;
	case 2:
		if (catalog_dialog_parse(p, len, &l) == 0)
			catalog_download_list_release(&l);
		break;
	default:
		catalog_bundle_free(catalog_bundle_parse("fuzz", p, len));
	}
	return 0;
}
