"""The reply queue: negative mentions a brand has not answered yet, against a reply SLA."""
