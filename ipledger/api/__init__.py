"""The HTTP API under /api/v1: thin routes that validate, call one service function, and answer."""
