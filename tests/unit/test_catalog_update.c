/* Update Catalog parsers on the real saved pages (tests/fixtures/catalog). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/catalog.h"

#define FIX "tests/fixtures/catalog/"

static void
load(const char *name, struct buf *b)
{
	assert_int_equal(file_read(name, 1 << 24, b), 0);
}

static void
test_search_page_parse_office2013(void **state)
{
	struct catalog_search_page pg;
	struct buf b;

	(void)state;
	load(FIX "search-office2013-page1.html", &b);
	assert_int_equal(catalog_search_page_parse(b.data, b.len, &pg, NULL),
	    0);
	assert_int_equal(pg.rows.n, 25);
	assert_int_equal(pg.first, 1);
	assert_int_equal(pg.last, 25);
	assert_int_equal(pg.total, 1000);
	assert_int_equal(pg.page, 1);
	assert_int_equal(pg.pages, 40);
	assert_true(pg.has_next);
	assert_false(pg.query_paging);
	assert_string_equal(pg.rows.v[0].update_id,
	    "1fd12850-50f0-4cb9-9fc0-9df72443ae87");
	assert_string_equal(pg.rows.v[0].title,
	    "Update for Microsoft Office 2013 (KB4475562) 64-Bit Edition");
	assert_string_equal(pg.rows.v[0].products, "Office 2013");
	assert_string_equal(pg.rows.v[0].classification, "Critical Updates");
	assert_string_equal(pg.rows.v[0].date, "2019-09-10");
	assert_string_equal(pg.rows.v[0].version, "n/a");
	assert_int_equal(pg.rows.v[0].size, 3686124);
	assert_string_equal(pg.rows.v[24].update_id,
	    "d001ca72-ce16-4700-9a6d-b2bb28974002");
	assert_int_equal(pg.rows.v[24].size, 11457318);
	assert_string_equal(pg.rows.v[24].date, "2018-09-11");
	assert_string_equal(pg.form_action, "./Search.aspx?q=Office+2013");
	assert_non_null(pg.viewstate);
	assert_true(strncmp(pg.viewstate, "FSa2iSGB/31dBxnT", 16) == 0);
	assert_string_equal(pg.viewstate_generator, "BBBC20B8");
	assert_non_null(pg.event_validation);
	catalog_search_page_release(&pg);
	buf_release(&b);
}

static void
test_search_page_parse_single_page(void **state)
{
	struct catalog_search_page pg;
	struct buf b;

	(void)state;
	load(FIX "search-KB4022233.html", &b);
	assert_int_equal(catalog_search_page_parse(b.data, b.len, &pg, NULL),
	    0);
	assert_int_equal(pg.rows.n, 2);
	assert_int_equal(pg.total, 2);
	assert_int_equal(pg.pages, 1);
	assert_false(pg.has_next);
	assert_string_equal(pg.rows.v[1].update_id,
	    "a54c634e-3dc5-4f5b-9e0f-40e9a221c6a5");
	assert_string_equal(pg.rows.v[1].title,
	    "Update for Microsoft Office 2013 (KB4022233) 32-Bit Edition");
	assert_int_equal(pg.rows.v[1].size, 9325490);
	catalog_search_page_release(&pg);
	buf_release(&b);
}

static void
test_search_page_parse_2025_model(void **state)
{
	struct catalog_search_page pg;
	struct buf b;

	(void)state;
	load(FIX "search-2025-model.html", &b);
	assert_int_equal(catalog_search_page_parse(b.data, b.len, &pg, NULL),
	    0);
	assert_int_equal(pg.rows.n, 2);
	assert_int_equal(pg.page, 2);
	assert_int_equal(pg.pages, 2);
	assert_false(pg.has_next);
	assert_true(pg.query_paging);
	assert_string_equal(pg.rows.v[0].update_id,
	    "8c6b4a1e-2f3d-4e5a-9b7c-1d2e3f4a5b6c");
	assert_string_equal(pg.rows.v[0].title, "2018-07 Update for Windows "
	    "Server 2008 R2 for x64-based Systems (KB4345459)");
	assert_string_equal(pg.rows.v[0].date, "2018-07-16");
	assert_int_equal(pg.rows.v[0].size, 67842118);
	/* upper-case ids are read and given in lower case */
	assert_string_equal(pg.rows.v[1].update_id,
	    "f3a1c2b4-5d6e-4f70-8192-a3b4c5d6e7f8");
	assert_string_equal(pg.rows.v[1].title, "2018-07 Update for Windows "
	    "Embedded Standard 7 for x64-based Systems (KB4345459) & more");
	assert_string_equal(pg.rows.v[1].products,
	    "Windows Embedded Standard 7, Windows 7");
	assert_string_equal(pg.rows.v[1].date, "2025-12-01");
	assert_string_equal(pg.rows.v[1].version, "1.0");
	catalog_search_page_release(&pg);
	buf_release(&b);
}

static void
test_search_page_parse_no_results(void **state)
{
	static const char page[] = "<html><body><span id=\"ctl00_catalogBody_"
	    "noResultText\">We did not find any results for \"zzz\".</span>"
	    "</body></html>";
	struct catalog_search_page pg;

	(void)state;
	assert_int_equal(catalog_search_page_parse(page, strlen(page), &pg,
	    NULL), 0);
	assert_true(pg.no_results);
	assert_int_equal(pg.rows.n, 0);
	catalog_search_page_release(&pg);
}

static void
test_search_page_parse_error_page(void **state)
{
	static const char page[] = "<html><body><div id=\"errorPageDisplayed"
	    "Error\">Error number: 8DDD0010</div></body></html>";
	static const char fatal[] = "<html><body><span id=\"errorPageDisplayed"
	    "Error\">8DDD0024</span></body></html>";
	struct catalog_search_page pg;
	int retry;

	(void)state;
	assert_int_equal(catalog_search_page_parse(page, strlen(page), &pg,
	    &retry), -1);
	assert_true(retry);
	assert_non_null(strstr(err_msg(), "8DDD0010"));
	assert_int_equal(catalog_search_page_parse(fatal, strlen(fatal), &pg,
	    &retry), -1);
	assert_false(retry);
}

static void
test_details_parse_superseded(void **state)
{
	struct catalog_details d;
	struct buf b;

	(void)state;
	load(FIX "scopedview-0b97c243-5833-4bf3-bcf8-77063e53c42a.html", &b);
	assert_int_equal(catalog_details_parse(b.data, b.len, &d), 0);
	assert_true(d.found);
	assert_string_equal(d.title, "2023-05 Cumulative Update for Windows 11 "
	    "Version 22H2 for arm64-based Systems (KB5026372)");
	assert_string_equal(d.date, "2023-05-09");
	assert_string_equal(d.kb, "KB5026372");
	assert_string_equal(d.products, "Windows 11");
	assert_string_equal(d.architecture, "n/a");
	assert_string_equal(d.classification, "Security Updates");
	assert_string_equal(d.reboot, "Can request restart");
	assert_string_equal(d.user_input, "No");
	assert_string_equal(d.msrc_number, "n/a");
	assert_string_equal(d.msrc_severity, "Critical");
	assert_int_equal(d.nsuperseded_by, 1);
	assert_string_equal(d.superseded_by[0].update_id,
	    "acbe4fd0-394e-40e8-a96b-c4facae62c8b");
	assert_string_equal(d.superseded_by[0].title, "2023-05 Cumulative "
	    "Update Preview for Windows 11 Version 22H2 for arm64-based "
	    "Systems (KB5026446)");
	assert_int_equal(d.nsupersedes, 18);
	assert_string_equal(d.supersedes[0].title, "2023-02 Cumulative Update "
	    "Preview for Windows 11 Version 22H2 for arm64-based Systems "
	    "(KB5022913) UUP");
	assert_null(d.supersedes[0].update_id);
	assert_string_equal(d.supersedes[17].title, "2023-02 Cumulative "
	    "Update Preview for Windows 11 Version 22H2 for ARM64-based Systems"
	    " (KB5022913)");
	catalog_details_release(&d);
	buf_release(&b);
}

static void
test_details_parse_not_superseded(void **state)
{
	struct catalog_details d;
	struct buf b;

	(void)state;
	load(FIX "scopedview-acbe4fd0-394e-40e8-a96b-c4facae62c8b.html", &b);
	assert_int_equal(catalog_details_parse(b.data, b.len, &d), 0);
	assert_string_equal(d.kb, "KB5026446");
	assert_string_equal(d.date, "2023-05-24");
	assert_string_equal(d.classification, "Updates");
	assert_string_equal(d.msrc_severity, "n/a");
	assert_int_equal(d.nsuperseded_by, 0);
	assert_true(d.nsupersedes > 0);
	catalog_details_release(&d);
	buf_release(&b);
}

static void
test_details_parse_thanks_is_not_found(void **state)
{
	struct catalog_details d;
	struct buf b;

	(void)state;
	load(FIX "thanks-190.html", &b);
	assert_true(catalog_page_is_thanks(b.data, b.len));
	assert_int_equal(catalog_details_parse(b.data, b.len, &d), 0);
	assert_false(d.found);
	catalog_details_release(&d);
	buf_release(&b);
}

static void
test_dialog_parse_single(void **state)
{
	struct catalog_download_list l;
	struct buf b;

	(void)state;
	load(FIX "downloaddialog-single.html", &b);
	assert_int_equal(catalog_dialog_parse(b.data, b.len, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].update_id,
	    "7f659ce1-a58f-41a8-bcf0-18fe434f0916");
	assert_string_equal(l.v[0].title, "Update for Microsoft Office 2013 "
	    "(KB4461444) 64-Bit Edition");
	assert_int_equal(l.v[0].nfiles, 1);
	assert_string_equal(l.v[0].files[0].url, "http://download.windows"
	    "update.com/c/msdownload/update/software/crup/2019/01/oart-x-none_"
	    "e3fa9c9103bc509dcdf7e971ca3cbea0c18a7b0d.cab");
	assert_string_equal(l.v[0].files[0].name,
	    "oart-x-none_e3fa9c9103bc509dcdf7e971ca3cbea0c18a7b0d.cab");
	/* the digest is the base64 of the SHA-1 that ends the name */
	assert_string_equal(l.v[0].files[0].sha1,
	    "e3fa9c9103bc509dcdf7e971ca3cbea0c18a7b0d");
	assert_null(l.v[0].files[0].sha256);
	assert_string_equal(l.v[0].files[0].languages, "all");
	catalog_download_list_release(&l);
	buf_release(&b);
}

static void
test_dialog_parse_multi(void **state)
{
	struct catalog_download_list l;
	struct buf b;
	char hex[41];
	size_t i;

	(void)state;
	load(FIX "downloaddialog-multi.html", &b);
	assert_int_equal(catalog_dialog_parse(b.data, b.len, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.v[0].update_id,
	    "601956e3-f2f0-469a-a7fe-cad6c0b4f665");
	assert_int_equal(l.v[0].nfiles, 41);
	assert_string_equal(l.v[0].files[0].name,
	    "proof-ar-sa_d140d14d65cf35bf269443bedf33a91ce25ced17.cab");
	assert_string_equal(l.v[0].files[40].url, "http://download.windows"
	    "update.com/d/msdownload/update/software/crup/2019/04/proof-fi-fi_"
	    "100b6b21d102186192a860630007c06026106b0e.cab");
	assert_string_equal(l.v[0].files[40].sha1,
	    "100b6b21d102186192a860630007c06026106b0e");
	for (i = 0; i < l.v[0].nfiles; i++) {
		assert_int_equal(catalog_name_sha1(l.v[0].files[i].name, hex),
		    0);
		assert_string_equal(hex, l.v[0].files[i].sha1);
	}
	catalog_download_list_release(&l);
	buf_release(&b);
}

static void
test_dialog_parse_sha256_and_bad_name(void **state)
{
	static const char ok[] =
	    "downloadInformation[0] = new Object();\n"
	    "downloadInformation[0].updateID ='0b97c243-5833-4bf3-bcf8-"
	    "77063e53c42a';\n"
	    "downloadInformation[0].files[0] = new Object();\n"
	    "downloadInformation[0].files[0].url = 'https://x/a_"
	    "0000000000000000000000000000000000000000.msu';\n"
	    "downloadInformation[0].files[0].fileName = 'a_"
	    "0000000000000000000000000000000000000000.msu';\n"
	    "downloadInformation[0].files[0].digest = '';\n"
	    "downloadInformation[0].files[0].sha256 = '47DEQpj8HBSa+/TImW+5JC"
	    "euQeRkm5NMpJWZG3hSuFU=';\n";
	static const char bad[] =
	    "downloadInformation[0].updateID ='0b97c243-5833-4bf3-bcf8-"
	    "77063e53c42a';\n"
	    "downloadInformation[0].files[0].url = 'https://x/y';\n"
	    "downloadInformation[0].files[0].fileName = '../../etc/passwd';\n";
	struct catalog_download_list l;

	(void)state;
	assert_int_equal(catalog_dialog_parse(ok, strlen(ok), &l), 0);
	assert_null(l.v[0].files[0].sha1);
	assert_string_equal(l.v[0].files[0].sha256, "e3b0c44298fc1c149afbf4c8"
	    "996fb92427ae41e4649b934ca495991b7852b855");
	catalog_download_list_release(&l);
	assert_int_equal(catalog_dialog_parse(bad, strlen(bad), &l), -1);
	assert_non_null(strstr(err_msg(), "not a plain file name"));
}

/* Hostile dialogs: indexes past the caps are refused before anything is
 * allocated for them; a page cut inside ".files" is not read past. */
static void
test_dialog_parse_caps_and_bounds(void **state)
{
	static const char many_files[] =
	    "downloadInformation[0].updateID ='0b97c243-5833-4bf3-bcf8-"
	    "77063e53c42a';\n"
	    "downloadInformation[0].files[4096].url = 'https://x/y';\n";
	static const char many_updates[] =
	    "downloadInformation[4000].updateID ='0b97c243-5833-4bf3-bcf8-"
	    "77063e53c42a';\n";
	static const char cut[] = "downloadInformation[0].fil";
	struct catalog_download_list l;
	char *exact;

	(void)state;
	assert_int_equal(catalog_dialog_parse(many_files, strlen(many_files),
	    &l), -1);
	assert_non_null(strstr(err_msg(), "files[4096]: more than 64 files"));
	assert_int_equal(catalog_dialog_parse(many_updates,
	    strlen(many_updates), &l), -1);
	assert_non_null(strstr(err_msg(), "more than 16 updates"));
	exact = xmalloc(sizeof(cut) - 1);	/* not terminated */
	memcpy(exact, cut, sizeof(cut) - 1);
	assert_int_equal(catalog_dialog_parse(exact, sizeof(cut) - 1, &l), -1);
	free(exact);
}

/* A search page of n rows in the Catalog's markup. */
static void
rows_page(struct buf *b, unsigned n)
{
	unsigned i;

	buf_init(b, 0);
	buf_addf(b, "<html><body><span id=\"ctl00_catalogBody_searchDuration"
	    "\">1 - %u of %u (page 1 of 1)</span><table id=\"ctl00_"
	    "catalogBody_updateMatches\">", n, n);
	for (i = 0; i < n; i++) {
		char g[37];
		snprintf(g, sizeof(g), "%08x-4b1d-4c2a-9e10-000000000001", i);
		buf_addf(b, "<tr id=\"%s_R%u\"><td id='%s_C1_R%u'>Update %u"
		    "</td><td id=\"%s_C2_R%u\">Windows 7</td><td id=\"%s_C3_R%u"
		    "\">Updates</td><td id=\"%s_C4_R%u\">7/10/2018</td><td "
		    "id=\"%s_C5_R%u\">n/a</td><td><span id=\"%s_originalSize"
		    "\">%u</span></td></tr>", g, i, g, i, i, g, i, g, i, g, i,
		    g, i, g, 1000 + i);
	}
	buf_adds(b, "</table></body></html>");
}

static void
test_search_page_parse_rows_capped(void **state)
{
	struct catalog_search_page pg;
	struct buf b;

	(void)state;
	rows_page(&b, 200);
	assert_int_equal(catalog_search_page_parse(b.data, b.len, &pg, NULL),
	    0);
	assert_int_equal(pg.rows.n, 200);
	assert_string_equal(pg.rows.v[199].title, "Update 199");
	assert_int_equal(pg.rows.v[199].size, 1199);
	assert_string_equal(pg.rows.v[7].date, "2018-07-10");
	catalog_search_page_release(&pg);
	buf_release(&b);
	rows_page(&b, 4000);
	assert_int_equal(catalog_search_page_parse(b.data, b.len, &pg, NULL),
	    -1);
	assert_non_null(strstr(err_msg(), "more than 200 rows"));
	buf_release(&b);
}

static void
test_catalog_valid_file_name_rejects_paths(void **state)
{
	(void)state;
	assert_true(catalog_valid_file_name("windows6.1-kb4345459-x64_"
	    "b8da3e6c2e2bfcf6e4e2a3b6fbfa4b2a0a8d62e3.msu"));
	assert_false(catalog_valid_file_name("a/b.msu"));
	assert_false(catalog_valid_file_name(".."));
	assert_false(catalog_valid_file_name("a..b"));
	assert_false(catalog_valid_file_name(".hidden"));
	assert_false(catalog_valid_file_name("a b"));
	assert_false(catalog_valid_file_name(""));
}

static void
test_catalog_title_arch_kinds(void **state)
{
	(void)state;
	assert_string_equal(catalog_title_arch("Update for Windows 7 for "
	    "x64-based Systems (KB4345459)"), "x64");
	assert_string_equal(catalog_title_arch("Update for Windows 7 "
	    "(KB4345459)"), "x86");
	assert_string_equal(catalog_title_arch("Update for Windows Server "
	    "2008 R2 for Itanium-based Systems (KB4345459)"), "ia64");
	assert_string_equal(catalog_title_arch("Cumulative Update for Windows"
	    " 10 Version 1803 for ARM64-based Systems (KB4345421)"), "arm64");
	assert_string_equal(catalog_title_arch("Update for Microsoft Office "
	    "2013 (KB4022233) 32-Bit Edition"), "x86");
}

static void
add_row(struct catalog_update_list *l, const char *id, const char *title,
    const char *products)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	l->v[l->n].update_id = xstrdup(id);
	l->v[l->n].title = xstrdup(title);
	l->v[l->n].products = xstrdup(products);
	l->n++;
}

static void
test_catalog_select_product_and_arch(void **state)
{
	struct catalog_update_list l = { NULL, 0 };
	size_t i;

	(void)state;
	add_row(&l, "11111111-1111-1111-1111-111111111111", "2018-07 Update for"
	    " Windows 7 for x64-based Systems (KB4345459)", "Windows 7");
	add_row(&l, "22222222-2222-2222-2222-222222222222", "2018-07 Update for"
	    " Windows Server 2008 R2 for x64-based Systems (KB4345459)",
	    "Windows Server 2008 R2");
	add_row(&l, "33333333-3333-3333-3333-333333333333", "2018-07 Update for"
	    " Windows 7 (KB4345459)", "Windows 7");
	add_row(&l, "44444444-4444-4444-4444-444444444444", "2018-07 Update for"
	    " Windows Server 2008 R2 for Itanium-based Systems (KB4345459)",
	    "Windows Server 2008 R2");
	add_row(&l, "55555555-5555-5555-5555-555555555555", "2018-07 Delta "
	    "Update for Windows 7 for x64-based Systems (KB4345459)",
	    "Windows 7");
	add_row(&l, "66666666-6666-6666-6666-666666666666", "Update for "
	    "Windows 7 for x64-based Systems (KB43454590)", "Windows 7");
	assert_int_equal(catalog_select(&l, "KB4345459", "Windows 7", "x64",
	    &i), 0);
	assert_int_equal(i, 0);
	assert_int_equal(catalog_select(&l, "KB4345459",
	    "Windows Server 2008 R2", "x64", &i), 0);
	assert_int_equal(i, 1);
	assert_int_equal(catalog_select(&l, "KB4345459", "Windows 7", "x86",
	    &i), 0);
	assert_int_equal(i, 2);
	assert_int_equal(catalog_select(&l, "KB4345459", "Windows 7", "arm64",
	    &i), -1);
	assert_non_null(strstr(err_msg(), "no Catalog entry matches"));
	assert_non_null(strstr(err_msg(),
	    "11111111-1111-1111-1111-111111111111"));
	add_row(&l, "77777777-7777-7777-7777-777777777777", "2018-07 Update for"
	    " Windows 7 for x64-based Systems (KB4345459) v2", "Windows 7");
	assert_int_equal(catalog_select(&l, "KB4345459", "Windows 7", "x64",
	    &i), -1);
	assert_non_null(strstr(err_msg(), "2 Catalog entries match"));
	assert_non_null(strstr(err_msg(),
	    "77777777-7777-7777-7777-777777777777"));
	catalog_update_list_release(&l);
}

static void
test_catalog_date_iso_strict(void **state)
{
	char out[11];

	(void)state;
	assert_int_equal(catalog_date_iso("7/16/2018", out), 0);
	assert_string_equal(out, "2018-07-16");
	assert_int_equal(catalog_date_iso("13/1/2018", out), -1);
	assert_int_equal(catalog_date_iso("2018-07-16", out), -1);
	/* what sscanf's %u let through */
	assert_int_equal(catalog_date_iso(" 7/16/2018", out), -1);
	assert_int_equal(catalog_date_iso("+7/16/2018", out), -1);
	assert_int_equal(catalog_date_iso("7/ 16/2018", out), -1);
	assert_int_equal(catalog_date_iso("7/16/2018 ", out), -1);
	assert_int_equal(catalog_date_iso("7/16/-2018", out), -1);
	assert_int_equal(catalog_date_iso("07/016/2018", out), 0);
	assert_string_equal(out, "2018-07-16");
}

/* The download allow list: scheme, host and port; https never goes to
 * http (issue 16). */
static void
test_catalog_url_allowed_origin(void **state)
{
	const char *hosts[] = { "Mirror.example.com", "m2.example.com:8080" };
	struct catalog_options o = { "https://127.0.0.1:8443/", NULL, hosts,
	    2, 0, 0, 0, 0 };
	struct catalog_client *c = catalog_client_new(&o);
	const char *https = "https://127.0.0.1:8443/d/x.msu";

	(void)state;
	assert_non_null(c);
	assert_int_equal(catalog_url_allowed(c, https, NULL), 0);
	/* the Catalog's host on another port, or another scheme */
	assert_int_equal(catalog_url_allowed(c, "https://127.0.0.1:8444/d/x",
	    NULL), -1);
	assert_non_null(strstr(err_msg(),
	    "https://127.0.0.1:8444 is not on the download allow list"));
	assert_int_equal(catalog_url_allowed(c, "http://127.0.0.1:8443/d/x",
	    NULL), -1);
	/* Microsoft hosts on their default ports, over http as dialogs say */
	assert_int_equal(catalog_url_allowed(c,
	    "http://download.windowsupdate.com/d/x.msu", NULL), 0);
	assert_int_equal(catalog_url_allowed(c,
	    "https://catalog.s.download.windowsupdate.com/d/x.msu", NULL), 0);
	assert_int_equal(catalog_url_allowed(c,
	    "https://download.windowsupdate.com:8443/d/x.msu", NULL), -1);
	/* HOST: the default port; HOST:PORT: that port only */
	assert_int_equal(catalog_url_allowed(c,
	    "https://MIRROR.example.com/x", https), 0);
	assert_int_equal(catalog_url_allowed(c,
	    "https://mirror.example.com:444/x", https), -1);
	assert_int_equal(catalog_url_allowed(c,
	    "https://m2.example.com:8080/x", https), 0);
	assert_int_equal(catalog_url_allowed(c,
	    "https://m2.example.com/x", https), -1);
	/* https to http: refused even to an allowed origin */
	assert_int_equal(catalog_url_allowed(c,
	    "http://download.windowsupdate.com/d/x.msu", https), -1);
	assert_non_null(strstr(err_msg(), "from https to http is refused"));
	assert_int_equal(catalog_url_allowed(c,
	    "http://m2.example.com:8080/x", "http://download.windowsupdate.com/"),
	    0);
	assert_int_equal(catalog_url_allowed(c, "ftp://127.0.0.1:8443/x",
	    NULL), -1);
	assert_int_equal(catalog_url_allowed(c, "not a url", NULL), -1);
	catalog_client_free(c);

	hosts[0] = "mirror.example.com:0";
	assert_null(catalog_client_new(&o));
	assert_non_null(strstr(err_msg(), "the port must be 1-65535"));
	hosts[0] = "mirror.example.com:80x";
	assert_null(catalog_client_new(&o));
	hosts[0] = ":443";
	assert_null(catalog_client_new(&o));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dialog_parse_caps_and_bounds),
		cmocka_unit_test(test_search_page_parse_rows_capped),
		cmocka_unit_test(test_search_page_parse_office2013),
		cmocka_unit_test(test_search_page_parse_single_page),
		cmocka_unit_test(test_search_page_parse_2025_model),
		cmocka_unit_test(test_search_page_parse_no_results),
		cmocka_unit_test(test_search_page_parse_error_page),
		cmocka_unit_test(test_details_parse_superseded),
		cmocka_unit_test(test_details_parse_not_superseded),
		cmocka_unit_test(test_details_parse_thanks_is_not_found),
		cmocka_unit_test(test_dialog_parse_single),
		cmocka_unit_test(test_dialog_parse_multi),
		cmocka_unit_test(test_dialog_parse_sha256_and_bad_name),
		cmocka_unit_test(test_catalog_valid_file_name_rejects_paths),
		cmocka_unit_test(test_catalog_title_arch_kinds),
		cmocka_unit_test(test_catalog_select_product_and_arch),
		cmocka_unit_test(test_catalog_date_iso_strict),
		cmocka_unit_test(test_catalog_url_allowed_origin),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
