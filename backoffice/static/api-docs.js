// The API's browsable page (/api/v1/docs): Swagger UI on the generated OpenAPI document.
window.addEventListener("load", function () {
  var container = document.getElementById("swagger-ui-container");
  window.ui = SwaggerUIBundle({
    url: container.getAttribute("data-spec-url"),
    dom_id: "#swagger-ui-container",
  });
});
