"""ECR backed by a real registry: Debian's docker-registry on loopback behind an ECR-like front
(`registry`), the images really pushed (`images`), scans on push and lifecycle policies."""
