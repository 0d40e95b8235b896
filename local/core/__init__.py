"""What every emulated service shares: AWS-shaped errors, signing keys, small WSGI helpers."""
