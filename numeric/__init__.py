"""Numeric cross-checks (PyTorch): a zoo of trained networks, many at once with ``torch.func``."""
