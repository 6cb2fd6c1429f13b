// /api/docs: Swagger UI on our OpenAPI document. A file, not an inline script, so the page's
// CSP can allow our own origin's scripts and nothing else.
"use strict";
window.ui = SwaggerUIBundle({
  url: document.body.dataset.openapi,  // under the --webroot, if any
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  // The default asks validator.swagger.io to judge the document: a third-party request.
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
