"""The embedded local AWS environment: emulator extensions, API Gateway runtime and `make up`."""
