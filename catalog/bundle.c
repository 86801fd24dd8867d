/*
 * The bundle writer (DESIGN.md "Bundle"): manifest.json, UpdateIDs.txt,
 * SHA1SUMS, SHA256SUMS, Import-ToWsus.ps1, Install-Offline.cmd, README.txt
 * next to files/<original name>.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "catalog/update_int.h"

static int
put(const char *dir, const char *name, struct buf *b, int mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	int rc;

	if (b->failed) {
		err_set("%s: %s", path, "too large");
		free(path);
		return -1;
	}
	rc = file_write_atomic(path, buf_str(b), b->len, mode);
	free(path);
	return rc;
}

static void
json_kv(struct buf *b, const char *k, const char *v, int comma)
{
	buf_add_json_str(b, k);
	buf_adds(b, ": ");
	if (v)
		buf_add_json_str(b, v);
	else
		buf_adds(b, "null");
	if (comma)
		buf_adds(b, ", ");
}

static void
manifest_file(struct buf *b, const struct catalog_bundle_file *f)
{
	buf_adds(b, "{");
	json_kv(b, "name", f->name, 1);
	json_kv(b, "path", f->path, 1);
	json_kv(b, "url", f->url, 1);
	buf_addf(b, "\"size\": %llu, ", (unsigned long long)f->size);
	json_kv(b, "sha1", f->sha1, 1);
	json_kv(b, "sha256", f->sha256, 1);
	json_kv(b, "package_cab", f->package_cab, 1);
	json_kv(b, "package_identity", f->package_identity, 0);
	buf_adds(b, "}");
}

static void
manifest_update(struct buf *b, const struct catalog_bundle_update *u)
{
	size_t i;

	buf_adds(b, "    {");
	json_kv(b, "update_id", u->update_id, 1);
	json_kv(b, "kb", u->kb, 1);
	json_kv(b, "title", u->title, 1);
	json_kv(b, "product", u->product, 1);
	json_kv(b, "arch", u->arch, 1);
	json_kv(b, "classification", u->classification, 1);
	buf_adds(b, "\"hosts\": [");
	for (i = 0; i < u->nhosts; i++) {
		buf_add_json_str(b, u->hosts[i]);
		if (i + 1 < u->nhosts)
			buf_adds(b, ", ");
	}
	buf_adds(b, "],\n     \"files\": [");
	for (i = 0; i < u->nfiles; i++) {
		buf_adds(b, "\n       ");
		manifest_file(b, &u->files[i]);
		if (i + 1 < u->nfiles)
			buf_adds(b, ",");
	}
	buf_adds(b, "]}");
}

static void
manifest(struct buf *b, const struct catalog_bundle *bd)
{
	size_t i;

	buf_adds(b, "{\n  ");
	json_kv(b, "format", CATALOG_BUNDLE_FORMAT, 0);
	buf_adds(b, ",\n  ");
	json_kv(b, "created", bd->created, 0);
	buf_adds(b, ",\n  ");
	json_kv(b, "catalog", bd->catalog, 0);
	buf_adds(b, ",\n  \"updates\": [\n");
	for (i = 0; i < bd->nupdates; i++) {
		manifest_update(b, &bd->updates[i]);
		buf_adds(b, i + 1 < bd->nupdates ? ",\n" : "\n");
	}
	buf_adds(b, "  ]\n}\n");
}

/* Each unique file once, in manifest order. */
static const struct catalog_bundle_file **
unique_files(const struct catalog_bundle *bd, size_t *n)
{
	const struct catalog_bundle_file **v = NULL;
	size_t i, j, k;

	*n = 0;
	for (i = 0; i < bd->nupdates; i++)
		for (j = 0; j < bd->updates[i].nfiles; j++) {
			const struct catalog_bundle_file *f =
			    &bd->updates[i].files[j];
			for (k = 0; k < *n; k++)
				if (strcmp(v[k]->name, f->name) == 0)
					break;
			if (k < *n)
				continue;
			v = xreallocarray(v, *n + 1, sizeof(*v));
			v[(*n)++] = f;
		}
	return v;
}

static void
sums(struct buf *b1, struct buf *b256, const struct catalog_bundle *bd)
{
	const struct catalog_bundle_file **v;
	size_t i, n;

	v = unique_files(bd, &n);
	for (i = 0; i < n; i++) {
		/* sha1sum -c format: "<hex>  <path>" */
		buf_addf(b1, "%s  %s\n", v[i]->sha1, v[i]->path);
		buf_addf(b256, "%s  %s\n", v[i]->sha256, v[i]->path);
	}
	free(v);
}

static const char ps_head[] =
"# Import-ToWsus.ps1: imports the updates of this kbfix bundle into WSUS.\r\n"
"# Run on the WSUS server, as an administrator, from the bundle folder:\r\n"
"#   powershell -ExecutionPolicy Bypass -File .\\Import-ToWsus.ps1\r\n"
"#   (-WsusServer NAME -Port 8530 [-UseSsl] for a remote WSUS)\r\n"
"#\r\n"
"# WSUS cannot import .msu files directly; ImportUpdateFromCatalogSite takes\r\n"
"# the update id (one per product: Windows 7 and Server 2008 R2 are separate\r\n"
"# ids sharing one file) and the local files.\r\n"
"#\r\n"
"# TLS 1.2: ImportUpdateFromCatalogSite still fetches each update's metadata\r\n"
"# from Microsoft over TLS 1.2.  If it fails with \"The underlying connection\r\n"
"# was closed\" or a TLS error, enable strong cryptography for .NET 4 and\r\n"
"# run the script again:\r\n"
"#   reg add HKLM\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319 /v SchUseStrongCrypto /t REG_DWORD /d 1 /f\r\n"
"#   reg add HKLM\\SOFTWARE\\Wow6432Node\\Microsoft\\.NETFramework\\v4.0.30319 /v SchUseStrongCrypto /t REG_DWORD /d 1 /f\r\n"
"# The import runs inside the WSUS server, so restart it (and IIS) after\r\n"
"# the change, before running this script again:\r\n"
"#   Restart-Service WsusService, W3SVC\r\n"
"# When an import fails, the reason is in\r\n"
"#   %ProgramFiles%\\Update Services\\LogFiles\\SoftwareDistribution.log\r\n"
"# A disconnected WSUS cannot reach Microsoft: import on a connected WSUS and\r\n"
"# move the result with wsusutil export / wsusutil import.\r\n"
"param([string]$WsusServer = '', [int]$Port = 8530, [switch]$UseSsl)\r\n"
"$ErrorActionPreference = 'Stop'\r\n"
"[Net.ServicePointManager]::SecurityProtocol = "
"[Net.ServicePointManager]::SecurityProtocol -bor "
"[Net.SecurityProtocolType]::Tls12\r\n"
"$here = Split-Path -Parent $MyInvocation.MyCommand.Path\r\n"
"if ($WsusServer) {\r\n"
"    $wsus = Get-WsusServer -Name $WsusServer -PortNumber $Port -UseSsl:$UseSsl\r\n"
"} else {\r\n"
"    $wsus = Get-WsusServer\r\n"
"}\r\n"
"$failed = 0\r\n"
"function Import-One([string]$Id, [string]$Title, [string[]]$Files) {\r\n"
"    $paths = [string[]]($Files | ForEach-Object { Join-Path $here $_ })\r\n"
"    try {\r\n"
"        $wsus.ImportUpdateFromCatalogSite($Id, $paths)\r\n"
"        Write-Host \"imported $Id $Title\"\r\n"
"    } catch {\r\n"
"        Write-Warning \"failed: $Id $Title : $_\"\r\n"
"        $script:failed++\r\n"
"    }\r\n"
"}\r\n\r\n";

static void
import_script(struct buf *b, const struct catalog_bundle *bd)
{
	size_t i, j;

	buf_adds(b, ps_head);
	for (i = 0; i < bd->nupdates; i++) {
		const struct catalog_bundle_update *u = &bd->updates[i];
		buf_adds(b, "# ");
		buf_add_comment(b, u->kb);
		buf_addc(b, ' ');
		buf_add_comment(b, u->product);
		buf_addc(b, ' ');
		buf_add_comment(b, u->arch);
		buf_adds(b, "\r\nImport-One ");
		buf_add_ps_str(b, u->update_id);
		buf_addc(b, ' ');
		buf_add_ps_str(b, u->title);
		buf_adds(b, " @(");
		for (j = 0; j < u->nfiles; j++) {
			char *win = xasprintf("files\\%s", u->files[j].name);
			buf_add_ps_str(b, win);
			free(win);
			if (j + 1 < u->nfiles)
				buf_adds(b, ", ");
		}
		buf_adds(b, ")\r\n");
	}
	buf_adds(b, "\r\nif ($failed -gt 0) { Write-Warning \"$failed update(s) "
	    "failed\"; exit 1 }\r\nWrite-Host 'all updates imported'\r\n");
}

/* Exit codes compared as cmd prints them (FACTS.md section 4). */
static const char cmd_head[] =
"@echo off\r\n"
"rem Install-Offline.cmd: installs this kbfix bundle's packages on this\r\n"
"rem host without WSUS.  Run as an administrator from the bundle folder:\r\n"
"rem   Install-Offline.cmd\r\n"
"rem Each package: expand -F:* X.msu DIR, then dism /online /add-package\r\n"
"rem (wusa.exe refuses remote sessions); Windows6.0 packages (Vista,\r\n"
"rem Server 2008: no dism there) with wusa X.msu /quiet /norestart, run\r\n"
"rem locally.  Packages of another architecture\r\n"
"rem are skipped; \"not applicable\" means this host's product does not take\r\n"
"rem that package.  Exit status: 0 all done, 3010 done but a restart is\r\n"
"rem needed, 1 something failed.\r\n"
"setlocal\r\n"
"set \"HERE=%~dp0\"\r\n"
"set \"WORK=%TEMP%\\kbfix-offline\"\r\n"
"set \"HOSTARCH=%PROCESSOR_ARCHITECTURE%\"\r\n"
"if defined PROCESSOR_ARCHITEW6432 set \"HOSTARCH=%PROCESSOR_ARCHITEW6432%\"\r\n"
"if /i \"%HOSTARCH%\"==\"AMD64\" set \"HOSTARCH=x64\"\r\n"
"if /i \"%HOSTARCH%\"==\"IA64\" set \"HOSTARCH=ia64\"\r\n"
"if /i \"%HOSTARCH%\"==\"ARM64\" set \"HOSTARCH=arm64\"\r\n"
"set FAILED=0\r\n"
"set REBOOT=0\r\n\r\n";

static const char cmd_tail[] =
"\r\nrmdir /s /q \"%WORK%\" 2>nul\r\n"
"if %FAILED%==1 exit /b 1\r\n"
"if %REBOOT%==1 (\r\n"
"    echo kbfix: restart this computer to finish: shutdown /r /t 60 /d p:2:17\r\n"
"    exit /b 3010\r\n"
")\r\n"
"exit /b 0\r\n\r\n"
":install\r\n"
"rem %1 KB  %2 file under files\\  %3 package .cab inside  %4 architecture\r\n"
"if /i not \"%~4\"==\"%HOSTARCH%\" (\r\n"
"    echo %~1: skipped, a %~4 package on a %HOSTARCH% host\r\n"
"    exit /b 0\r\n"
")\r\n"
"rmdir /s /q \"%WORK%\\%~1\" 2>nul\r\n"
"mkdir \"%WORK%\\%~1\"\r\n"
"expand -F:* \"%HERE%files\\%~2\" \"%WORK%\\%~1\" >nul\r\n"
"if errorlevel 1 (\r\n"
"    echo %~1: expand failed on files\\%~2\r\n"
"    set FAILED=1\r\n"
"    exit /b 0\r\n"
")\r\n"
"dism /online /add-package /packagepath:\"%WORK%\\%~1\\%~3\" /quiet /norestart /English\r\n"
"set E=%ERRORLEVEL%\r\n"
":result\r\n"
"if \"%E%\"==\"0\" (echo %~1: installed& exit /b 0)\r\n"
"if \"%E%\"==\"3010\" (echo %~1: installed, restart required& set REBOOT=1& exit /b 0)\r\n"
"if \"%E%\"==\"1641\" (echo %~1: installed, a restart was started& exit /b 0)\r\n"
"if \"%E%\"==\"2359301\" (echo %~1: installed, restart required& set REBOOT=1& exit /b 0)\r\n"
"if \"%E%\"==\"2359302\" (echo %~1: already installed& exit /b 0)\r\n"
"if \"%E%\"==\"-2145124329\" (echo %~1: not applicable to this host& exit /b 0)\r\n"
"if \"%E%\"==\"-2146498530\" (echo %~1: not applicable to this host ^(DISM^)& exit /b 0)\r\n"
"if \"%E%\"==\"-2145124330\" (echo %~1: not allowed now: a restart is pending or an install is running; restart and run again& set FAILED=1& exit /b 0)\r\n"
"if \"%E%\"==\"1618\" (echo %~1: another installation is running; run again later& set FAILED=1& exit /b 0)\r\n"
"if \"%E%\"==\"5\" (echo %~1: access denied; run as an administrator& set FAILED=1& exit /b 0)\r\n"
"if \"%E%\"==\"-2147024891\" (echo %~1: access denied; run as an administrator& set FAILED=1& exit /b 0)\r\n"
"if \"%E%\"==\"87\" (echo %~1: dism rejected a parameter& set FAILED=1& exit /b 0)\r\n"
"echo %~1: failed with exit code %E%\r\n"
"set FAILED=1\r\n"
"exit /b 0\r\n\r\n"
":wusa\r\n"
"rem %1 KB  %2 file under files\\  %3 architecture (NT 6.0: no dism)\r\n"
"if /i not \"%~3\"==\"%HOSTARCH%\" (\r\n"
"    echo %~1: skipped, a %~3 package on a %HOSTARCH% host\r\n"
"    exit /b 0\r\n"
")\r\n"
"wusa \"%HERE%files\\%~2\" /quiet /norestart\r\n"
"set E=%ERRORLEVEL%\r\n"
"goto result\r\n";

static void
install_script(struct buf *b, const struct catalog_bundle *bd)
{
	size_t i, j, k;

	buf_adds(b, cmd_head);
	for (i = 0; i < bd->nupdates; i++) {
		const struct catalog_bundle_update *u = &bd->updates[i];
		for (j = 0; j < u->nfiles; j++) {
			const struct catalog_bundle_file *f = &u->files[j];
			int seen = 0;
			/* one install per file: Windows 7 and 2008 R2 share */
			for (k = 0; k < i && !seen; k++)
				for (size_t m = 0; m < bd->updates[k].nfiles;
				    m++)
					seen |= strcmp(bd->updates[k].files[m].
					    name, f->name) == 0;
			if (seen)
				continue;
			/* NT 6.0 (Vista, Server 2008) has no dism: wusa */
			if (strncasecmp(f->name, "windows6.0-", 11) == 0) {
				buf_addf(b, "call :wusa %s \"%s\" %s\r\n",
				    u->kb, f->name, u->arch);
				continue;
			}
			if (f->package_cab == NULL)
				continue;
			buf_addf(b, "call :install %s \"%s\" \"%s\" %s\r\n",
			    u->kb, f->name, f->package_cab, u->arch);
		}
	}
	buf_adds(b, cmd_tail);
}

static void
readme(struct buf *b, const struct catalog_bundle *bd)
{
	size_t i, j;

	buf_addf(b, "kbfix bundle (%s), created %s from %s\n\n"
	    "Every file under files/ was checked before it was put here: its\n"
	    "SHA-1 against the 40 hex digits of its name and the Update\n"
	    "Catalog's digest, its SHA-256 recorded, and its inner\n"
	    "pkgProperties.txt against the expected KB and architecture.\n\n"
	    "Check the copy you carried:    sha256sum -c SHA256SUMS\n"
	    "                               (or: kbfix verify THIS_FOLDER)\n"
	    "Import into WSUS:              Import-ToWsus.ps1 (see its header,\n"
	    "                               TLS 1.2 / SchUseStrongCrypto note)\n"
	    "Install on one host by hand:   Install-Offline.cmd\n"
	    "Update ids for Microsoft's ImportUpdateToWSUS.ps1: UpdateIDs.txt\n"
	    "Machine-readable description:  manifest.json\n\n"
	    "Updates:\n", CATALOG_BUNDLE_FORMAT, bd->created, bd->catalog);
	for (i = 0; i < bd->nupdates; i++) {
		const struct catalog_bundle_update *u = &bd->updates[i];
		buf_addf(b, "\n  %s  %s %s (%s)\n  %s\n  update id %s\n",
		    u->kb, u->product, u->arch, u->classification, u->title,
		    u->update_id);
		if (u->nhosts > 0) {
			buf_adds(b, "  hosts:");
			for (j = 0; j < u->nhosts; j++)
				buf_addf(b, " %s", u->hosts[j]);
			buf_adds(b, "\n");
		}
		for (j = 0; j < u->nfiles; j++)
			buf_addf(b, "  %s (%llu bytes)\n", u->files[j].path,
			    (unsigned long long)u->files[j].size);
	}
}

int
catalog_bundle_write_meta(const char *dir, const struct catalog_bundle *bd)
{
	struct buf b[7];
	size_t i;
	int rc = -1;

	for (i = 0; i < 7; i++)
		buf_init(&b[i], 64 << 20);
	manifest(&b[0], bd);
	for (i = 0; i < bd->nupdates; i++)
		buf_addf(&b[1], "%s\n", bd->updates[i].update_id);
	sums(&b[2], &b[3], bd);
	import_script(&b[4], bd);
	install_script(&b[5], bd);
	readme(&b[6], bd);
	if (put(dir, "manifest.json", &b[0], 0644) == -1 ||
	    put(dir, "UpdateIDs.txt", &b[1], 0644) == -1 ||
	    put(dir, "SHA1SUMS", &b[2], 0644) == -1 ||
	    put(dir, "SHA256SUMS", &b[3], 0644) == -1 ||
	    put(dir, "Import-ToWsus.ps1", &b[4], 0644) == -1 ||
	    put(dir, "Install-Offline.cmd", &b[5], 0755) == -1 ||
	    put(dir, "README.txt", &b[6], 0644) == -1)
		goto out;
	rc = 0;
out:
	for (i = 0; i < 7; i++)
		buf_release(&b[i]);
	return rc;
}

