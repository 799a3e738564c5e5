"""The pure domain: address math, sets of ranges, allocation and thresholds. No I/O of any kind."""
