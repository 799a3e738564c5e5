"""ipledger: the address-space ledger for hybrid infrastructure with Kubernetes as a first-class citizen."""

__all__ = ["__version__"]

__version__ = "0.1.0"
