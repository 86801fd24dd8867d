/*
 * What a non-English Windows prints (profile key `locale`: en-US default,
 * de-DE, fr-FR): systeminfo's labels, value column and fixed phrases as
 * the captures tests/fixtures/windows/systeminfo/wesng_7_sp1_x64_
 * ultimaten_de and ..._enterprise_fr_systeminfo_cmd show them (UTF-8
 * here, the OEM code page on Windows); netsh's headings, Multicast
 * Forwarding label and values, and DISM's labels and states without
 * /English, of which no public capture was found (netsh/SOURCES.md): as
 * a German or French Windows words them, not from a capture.  reg query,
 * wmic property names and dism /English stay English, as on Windows
 * (FACTS.md section 5).
 */
#include <string.h>
#include <strings.h>

#include "tests/winsim/winsim.h"

static const char *const sysinfo_de[32] = {
	"Hostname", "Betriebssystemname", "Betriebssystemversion",
	"Betriebssystemhersteller", "Betriebssystemkonfiguration",
	"Betriebssystem-Buildtyp", "Registrierter Benutzer",
	"Registrierte Organisation", "Produkt-ID",
	"Urspr\xc3\xbcngliches Installationsdatum", "Systemstartzeit",
	"Systemhersteller", "Systemmodell", "Systemtyp", "Prozessor(en)",
	"BIOS-Version", "Windows-Verzeichnis", "System-Verzeichnis",
	"Startger\xc3\xa4t", "Systemgebietsschema", "Eingabegebietsschema",
	"Zeitzone", "Gesamter physikalischer Speicher",
	"Verf\xc3\xbc" "gbarer physikalischer Speicher",
	"Virtueller Arbeitsspeicher: Maximale Gr\xc3\xb6\xc3\x9f" "e",
	"Virtueller Arbeitsspeicher: Verf\xc3\xbc" "gbar",
	"Virtueller Arbeitsspeicher: Zurzeit verwendet",
	"Auslagerungsdateipfad(e)", "Dom\xc3\xa4ne", "Anmeldeserver",
	"Hotfix(es)", "Netzwerkkarte(n)",
};

static const char *const sysinfo_fr[32] = {
	"Nom de l'h\xc3\xb4te", "Nom du syst\xc3\xa8me d'exploitation",
	"Version du syst\xc3\xa8me",
	"Fabricant du syst\xc3\xa8me d'exploitation",
	"Configuration du syst\xc3\xa8me d'exploitation",
	"Type de version du syst\xc3\xa8me d'exploitation",
	"Propri\xc3\xa9taire enregistr\xc3\xa9", "Organisation enregistr\xc3\xa9" "e",
	"Identificateur de produit", "Date d'installation originale",
	"Heure de d\xc3\xa9marrage du syst\xc3\xa8me", "Fabricant du syst\xc3\xa8me",
	"Mod\xc3\xa8le du syst\xc3\xa8me", "Type du syst\xc3\xa8me", "Processeur(s)",
	"Version du BIOS", "R\xc3\xa9pertoire Windows", "R\xc3\xa9pertoire syst\xc3\xa8me",
	"P\xc3\xa9riph\xc3\xa9rique d'amor\xc3\xa7" "age", "Option r\xc3\xa9gionale du syst\xc3\xa8me",
	"Param\xc3\xa8tres r\xc3\xa9gionaux d'entr\xc3\xa9" "e", "Fuseau horaire",
	"M\xc3\xa9moire physique totale", "M\xc3\xa9moire physique disponible",
	/* a no-break space before the colon, as French typography wants */
	"M\xc3\xa9moire virtuelle\xc2\xa0: taille maximale",
	"M\xc3\xa9moire virtuelle\xc2\xa0: disponible",
	"M\xc3\xa9moire virtuelle\xc2\xa0: en cours d'utilisation",
	"Emplacements des fichiers d'\xc3\xa9" "change", "Domaine",
	"Serveur d'ouverture de session", "Correctif(s)", "Carte(s) r\xc3\xa9seau",
};

/* English text -> de-DE, fr-FR. */
static const char *const words[][3] = {
	/* systeminfo (the captures) */
	{ "%zu Hotfix(s) Installed.", "%zu Hotfix(e) installiert.",
	  "%zu Corrections install\xc3\xa9" "es." },
	{ "Build", "Build", "version" },
	{ "1 Processor(s) Installed.", "1 Prozessor(en) installiert.",
	  "1 processeur(s) install\xc3\xa9(s)." },
	{ "[01]: ", "[01]: ", "[01]\xc2\xa0: " },	/* a processor */
	{ "1 NIC(s) Installed.", "1 Netzwerkadapter installiert.",
	  "1 carte(s) r\xc3\xa9seau install\xc3\xa9" "e(s)." },
	{ "Querying active state...", "Aktiver Status wird abgefragt...",
	  "Interrogation de l'\xc3\xa9tat actif..." },
	{ "General Global Parameters", "Allgemeine globale Parameter",
	  "Param\xc3\xa8tres globaux g\xc3\xa9n\xc3\xa9raux" },
	{ "Multicast Forwarding", "Multicastweiterleitung",
	  "Transfert multidiffusion" },
	{ "enabled", "aktiviert", "activ\xc3\xa9" },
	{ "disabled", "deaktiviert", "d\xc3\xa9sactiv\xc3\xa9" },
	{ "Package Identity", "Paketidentit\xc3\xa4t", "Identit\xc3\xa9 du package" },
	{ "State", "Status", "\xc3\x89tat" },
	{ "Release Type", "Releasetyp", "Type de version" },
	{ "Install Time", "Installationszeit", "Heure d'installation" },
	{ "Installed", "Installiert", "Install\xc3\xa9" },
	{ "Install Pending", "Installation ausstehend",
	  "Installation en attente" },
	{ "Uninstall Pending", "Deinstallation ausstehend",
	  "D\xc3\xa9sinstallation en attente" },
	{ "Superseded", "Ersetzt", "Remplac\xc3\xa9" },
	{ "Packages listing:", "Paketauflistung:", "Liste des packages :" },
	{ "The operation completed successfully.",
	  "Der Vorgang wurde erfolgreich beendet.",
	  "L'op\xc3\xa9ration a r\xc3\xa9ussi." },
};

static int
loc_index(const char *loc)
{
	if (loc != NULL && strcasecmp(loc, "de-DE") == 0)
		return 1;
	if (loc != NULL && strcasecmp(loc, "fr-FR") == 0)
		return 2;
	return 0;
}

const char *
loc_text(const char *loc, const char *en)
{
	int k = loc_index(loc);
	size_t i;

	for (i = 0; k != 0 && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(words[i][0], en) == 0)
			return words[i][k];
	return en;
}

/* systeminfo's labels; *col the value column of its list format (the
 * longest label, its colon and one blank). */
const char *const *
loc_sysinfo_labels(const char *loc, const char *const *en, size_t *col)
{
	const char *const *l = loc_index(loc) == 1 ? sysinfo_de :
	    loc_index(loc) == 2 ? sysinfo_fr : en;
	size_t i, w = 0, n;

	for (i = 0; i < 32; i++) {
		n = utf8_width(l[i]);
		if (n > w)
			w = n;
	}
	*col = l == en ? 27 : w + 2;
	return l;
}

/* Characters (not bytes) of UTF-8 text: the columns it takes. */
size_t
utf8_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}
