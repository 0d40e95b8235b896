"""The local OpenID Connect issuer: the stand-in for an external IdP such as Google."""
