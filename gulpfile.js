// Copies what tsc does not: node and credential icons, and codex files, into dist/.
const { src, dest, parallel } = require('gulp');

function copyIcons() {
	return src(['nodes/**/*.svg', 'credentials/**/*.svg'], { base: '.', encoding: false }).pipe(
		dest('dist'),
	);
}

function copyCodex() {
	return src('nodes/**/*.node.json', { base: '.' }).pipe(dest('dist'));
}

// The offline model is derived from the Bitext data set: its licence and source note ship beside it.
function copyModelLicences() {
	return src(['lib/**/model/LICENSE.txt', 'lib/**/model/SOURCE.md'], { base: '.' }).pipe(
		dest('dist'),
	);
}

exports['build:icons'] = parallel(copyIcons, copyCodex, copyModelLicences);
exports.default = exports['build:icons'];
