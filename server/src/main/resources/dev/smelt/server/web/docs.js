// Swagger UI (the WebJar, served by this server) over /openapi.json; "Authorize" takes the bearer key.
window.SwaggerUIBundle({ url: '/openapi.json', dom_id: '#swagger-ui', deepLinking: true });
