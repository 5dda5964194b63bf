// Only used by jest, to load ESM-only dependencies (email-reply-parser) into jest's CommonJS runtime.
// The shipped package does not need it: Node >= 20.19 requires ES modules natively.
module.exports = {
	plugins: ['babel-plugin-transform-import-meta', '@babel/plugin-transform-modules-commonjs'],
};
