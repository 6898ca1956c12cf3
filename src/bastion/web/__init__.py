"""The HTTP service: `create_app`, the API and HMA routes, the pages; a thin door over the
pipeline."""
