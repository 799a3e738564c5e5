"""Readers of addresses seen in use outside Kubernetes: nmap XML, `ip neigh` output, CSV."""
