"""The nightly pipeline's stages, their run window, and the run ledger."""
