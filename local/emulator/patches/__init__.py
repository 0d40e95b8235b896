"""The moto patches, one module per service; `local.emulator.apply_patches()` installs them all."""
