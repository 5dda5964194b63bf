// Only used by jest, to load ESM-only dependencies (email-reply-parser) into jest's CommonJS runtime.
// The shipped package does not need it: Node >= 20.19 requires ES modules natively.

/** `import.meta` -> `{ url: 'file://' + __filename }`, with no `require` (modules may shadow it). */
function importMetaToFileUrl() {
	return {
		visitor: {
			MetaProperty(path) {
				if (path.node.meta.name === 'import' && path.node.property.name === 'meta') {
					path.replaceWithSourceString("({ url: 'file://' + __filename })");
				}
			},
		},
	};
}

module.exports = {
	plugins: [importMetaToFileUrl, '@babel/plugin-transform-modules-commonjs'],
};
