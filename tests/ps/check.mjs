// node tests/ps/check.mjs FILE.ps1: parses FILE with tree-sitter's
// PowerShell grammar.  Exit 1 on a syntax error, or when a single-quoted
// string holds an odd run of PowerShell's quote characters (' and
// U+2018..U+201B end such a string, a doubled one is a literal: the
// grammar knows only the ASCII one, so this rule is checked here).
// Prints "commands N": the number of commands, which a hostile string
// must not change.
import { Parser, Language } from 'web-tree-sitter';
import { readFileSync } from 'fs';
import { dirname, join } from 'path';
import { fileURLToPath } from 'url';

const here = dirname(fileURLToPath(import.meta.url));
await Parser.init();
const lang = await Language.load(join(here,
    'node_modules/tree-sitter-powershell/tree-sitter-powershell.wasm'));
const parser = new Parser();
parser.setLanguage(lang);
const src = readFileSync(process.argv[2], 'utf8');
const tree = parser.parse(src);
let commands = 0, bad = [];
const quotes = /['\u2018\u2019\u201a\u201b]+/g;
(function walk(n) {
	if (n.type === 'ERROR' || n.isMissing)
		bad.push(`syntax error at line ${n.startPosition.row + 1}`);
	if (n.type === 'command')
		commands++;
	if (n.type === 'verbatim_string_characters') {
		const body = n.text.slice(1, -1);
		for (const m of body.matchAll(quotes))
			if (m[0].length % 2)
				bad.push(`line ${n.startPosition.row + 1}: a lone quote ends the string early`);
	}
	for (const c of n.children)
		walk(c);
})(tree.rootNode);
console.log(`commands ${commands}`);
if (bad.length) {
	console.log(bad.join('\n'));
	process.exit(1);
}
