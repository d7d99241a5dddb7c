/*
 * tasker-initializer.js - starts Swagger UI on tasker's OpenAPI document.
 *
 * The page is <mount>/api-docs/ and the document <mount>/api-docs.json,
 * hence the relative URL: it works under any mount prefix.  The
 * document's "servers" is the mount prefix, so "Try it out" calls this
 * tasker.  No online validator, no URL bar: the page talks only to the
 * host it came from.
 */
window.onload = function () {
	window.ui = SwaggerUIBundle({
		url: "../api-docs.json",
		dom_id: "#swagger-ui",
		deepLinking: true,
		presets: [SwaggerUIBundle.presets.apis],
		plugins: [SwaggerUIBundle.plugins.DownloadUrl],
		layout: "BaseLayout",
		validatorUrl: null,
		persistAuthorization: false,
		displayRequestDuration: true
	});
};
