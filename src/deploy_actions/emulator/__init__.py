"""Local AWS emulator: moto's server plus what moto lacks, and a lifecycle engine."""
