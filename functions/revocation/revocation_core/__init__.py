"""Shared by the revocation functions: the record writer, AWS clients, logs and HTTP plumbing."""
