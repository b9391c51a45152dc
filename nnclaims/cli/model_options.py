"""What the commands that read model files share, without importing torch: activation names and help text.

What the commands that read model files (``measure``, ``compare``) share, without importing torch: the names
of the activations and the help text on the key layouts.

``nnclaims.cli.app`` imports every command module at start-up, so a command module that imported
:mod:`nnclaims.numeric.agop` just for its activation names would make every ``nnclaims`` command (even
``nnclaims list``) import torch; the names are therefore kept here, and ``tests/test_package.py`` checks that
they are exactly the keys of :data:`nnclaims.numeric.agop.ACTIVATIONS`.

>>> ACTIVATION_NAMES
('relu', 'tanh', 'gelu', 'sigmoid', 'identity')
"""

from __future__ import annotations

__all__ = ["ACTIVATION_NAMES", "LAYOUTS_HELP"]

# the keys of nnclaims.numeric.agop.ACTIVATIONS, in its order (tests/test_package.py compares the two)
ACTIVATION_NAMES = ("relu", "tanh", "gelu", "sigmoid", "identity")

# the layouts nnclaims.numeric.models.read_model reads (its LAYOUTS), as click help text (\b keeps the list)
LAYOUTS_HELP = """\
weights in torch.nn.Linear's (out, in) layout. Two key layouts are read:

\b
  - nn.Sequential: the state_dict of a torch.nn.Sequential of Linear layers with
    activations (and dropout) between them: 0.weight, 0.bias, 2.weight, ...
    (biases optional; the module indices give the order);
  - W1, b1, W2, ...: a plain dict numbered from 1 without gaps (biases optional).
"""
