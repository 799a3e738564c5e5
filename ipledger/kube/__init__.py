"""Readers of Kubernetes and CNI objects and of cluster configuration files, into core values."""
