"""Local API Gateway runtime: serves the deployed REST API (routing, authorizers, Lambda integrations)."""
