"""What every emulated service shares: clock, sandboxes, faults, the HTTP layer, AWS errors, and the
runtime registry through which handlers reach the running emulator. Imports no service package.

`defaults` is read by the light-weight CLI, so this package imports nothing on its own (no moto).
"""
