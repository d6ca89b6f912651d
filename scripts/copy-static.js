// Copies the static assets n8n loads at runtime (svg/png icons) into dist/, keeping their paths.
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const dirs = ['icons', 'nodes', 'credentials'];

function copyDir(rel) {
	const abs = path.join(root, rel);
	if (!fs.existsSync(abs)) return;
	for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
		const childRel = path.join(rel, entry.name);
		if (entry.isDirectory()) copyDir(childRel);
		else if (/\.(svg|png)$/.test(entry.name)) {
			const target = path.join(root, 'dist', childRel);
			fs.mkdirSync(path.dirname(target), { recursive: true });
			fs.copyFileSync(path.join(root, childRel), target);
		}
	}
}

for (const dir of dirs) copyDir(dir);
