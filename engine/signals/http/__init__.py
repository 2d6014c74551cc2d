"""The local HTTP API: FastAPI (the OpenAPI schema comes from the same pydantic models that
validate each request) served by uvicorn inside the engine's event loop."""
