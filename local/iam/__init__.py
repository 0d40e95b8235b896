"""IAM: the moto patches the OIDC-provider resources need."""
