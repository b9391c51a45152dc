r"""A zoo of deep MLPs (1–4 hidden layers) built as ``torch.nn`` modules and trained all at once.

``N`` copies of one :class:`torch.nn.Sequential` are stacked with :func:`torch.func.stack_module_state`
and run with ``vmap`` over :func:`torch.func.functional_call`.  The stacked parameters are ordinary leaf
tensors, so a stock ``torch.optim`` optimizer steps every network at once: SGD (momentum, weight
decay) and Adam act elementwise, and the summed loss :math:`\sum_k L_k(\theta_k)` has gradient
:math:`\nabla_{\theta_k} L_k` in block ``k`` — exactly ``N`` independent optimizers.

Column convention, as in the DNFA notes: :math:`z_l = W_l h_{l-1} + b_l`, :math:`h_l = \sigma(z_l)`,
:math:`h_0 = x`, output :math:`f = z_{L+1}`.  Data per network: a random teacher (``teacher``), uniformly
random labels (``random-labels``), or a seeded subset of a data set bundled with scikit-learn (no download):
handwritten ``digits`` (8×8 images, 10 classes) or ``breast-cancer`` (30 features, 2 classes).  Losses: mean
squared error (one-hot targets for class data) or softmax cross-entropy.

Training runs a fixed number of steps, or — with ``target > 0`` — to a stated criterion: each network is taken at
the first check (every ``check_every`` steps) where its full training loss is at most ``target`` times the loss of
the constant-zero predictor, and ``steps`` is the cap; networks that never reach it are returned at the cap and
marked (``criterion_met``).  ``batch_size > 0`` trains on mini-batches (an independent shuffle per network and
epoch); :func:`make_split_data` adds ``n_test`` held-out samples from the same distribution.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from torch import nn
from torch.func import functional_call, jacrev, stack_module_state, vmap

from nnclaims.caching import cached

from .agop import agop_sweep
from .zoo import ACTIVATIONS

__all__ = ["DeepSpec", "build_mlp", "make_data", "make_split_data", "init_deep_zoo", "train_deep_zoo",
           "trained_deep_zoo", "linear_layers", "all_layer_agop", "train_stack", "per_layer_agop_jacrev", "zero_predictor_loss"]

MODULES = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}  # same keys as ACTIVATIONS
DATA = ("teacher", "random-labels", "digits", "breast-cancer")
BUNDLED = {"digits": (64, 10), "breast-cancer": (30, 2)}  # scikit-learn's bundled data sets: (inputs d, classes q)


@dataclass(frozen=True)
class DeepSpec:
    """Architecture, data and training of a deep zoo (defaults sized for a CPU test run)."""

    d: int = 8
    widths: tuple = (16, 16)
    q: int = 3
    n: int = 64
    activation: str = "relu"
    bias: bool = True
    dropout: float = 0.0
    data: str = "teacher"
    loss: str = "mse"
    optimizer: str = "sgd"
    lr: float = 0.05
    momentum: float = 0.0
    weight_decay: float = 0.0
    steps: int = 200
    init_scale: float = 1.0  # every initial weight and bias times this (small: the feature-learning regime)
    teacher_rank: int = 0  # teacher data: hidden width of the teacher, i.e. the rank of its input map (0: 2q)
    batch_size: int = 0  # 0: full batch; else mini-batches, an independent shuffle per network and epoch
    target: float = 0.0  # > 0: train to the criterion loss <= target x (loss of the zero predictor), steps = cap
    check_every: int = 10  # steps between two checks of the criterion
    n_test: int = 0  # held-out samples per network (make_split_data)

    def __post_init__(self):
        if not 1 <= len(self.widths) <= 4 or min(self.widths + (self.d, self.q, self.n)) < 1:
            raise ValueError(f"1 to 4 hidden layers and positive sizes (got widths={self.widths}, d={self.d})")
        for name, value, allowed in (("activation", self.activation, MODULES), ("data", self.data, DATA),
                                     ("loss", self.loss, ("mse", "xent")), ("optimizer", self.optimizer, ("sgd", "adam"))):
            if value not in allowed:
                raise ValueError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")
        if self.data in BUNDLED and (self.d, self.q) != BUNDLED[self.data]:
            d, q = BUNDLED[self.data]
            raise ValueError(f"data={self.data!r} has d={d} inputs and q={q} classes")
        if self.loss == "xent" and self.data == "teacher" and self.q < 2:
            raise ValueError("cross-entropy needs q >= 2 classes")
        if self.init_scale <= 0 or self.teacher_rank < 0:
            raise ValueError(f"init_scale must be > 0 and teacher_rank >= 0 (got {self.init_scale}, {self.teacher_rank})")
        if not 0 <= self.dropout < 1:
            raise ValueError(f"dropout must be in [0, 1) (got {self.dropout})")
        if self.batch_size < 0 or self.target < 0 or self.check_every < 1 or self.n_test < 0 or self.steps < 1:
            raise ValueError("batch_size, target and n_test must be >= 0, check_every and steps >= 1")


def build_mlp(spec: DeepSpec) -> nn.Sequential:
    """``Linear, σ, [Dropout], …, Linear`` with PyTorch's default initialisation."""
    layers, fan_in = [], spec.d
    for w in spec.widths:
        layers += [nn.Linear(fan_in, w, bias=spec.bias), MODULES[spec.activation]()]
        if spec.dropout:
            layers.append(nn.Dropout(spec.dropout))
        fan_in = w
    layers.append(nn.Linear(fan_in, spec.q, bias=spec.bias))
    return nn.Sequential(*layers)


def linear_layers(spec: DeepSpec) -> list[str]:
    """Parameter-name prefixes of the linear layers, input to output."""
    return [name for name, m in build_mlp(spec).named_modules() if isinstance(m, nn.Linear)]


@cached(maxsize=2)
def _bundled(name: str):
    """A scikit-learn bundled data set, features standardised."""
    from sklearn import datasets

    X, y = {"digits": datasets.load_digits, "breast-cancer": datasets.load_breast_cancer}[name](return_X_y=True)
    X = torch.as_tensor(X, dtype=torch.float64)
    return (X - X.mean(0)) / X.std(0).clamp_min(1e-12), torch.as_tensor(y)


def make_data(spec: DeepSpec, networks: int, seed: int):
    """Per-network inputs ``X (N, n, d)`` and targets: labels ``(N, n)`` for class data with
    cross-entropy, else real targets ``(N, n, q)`` (one-hot for class data).  float64, CPU."""
    return _draw(spec, networks, seed, spec.n)


def make_split_data(spec: DeepSpec, networks: int, seed: int):
    """``(X, Y, X_test, Y_test)``: ``n`` training and ``n_test`` held-out samples per network from the same
    distribution (the same teacher; disjoint rows of a bundled data set)."""
    X, Y = _draw(spec, networks, seed + 7, spec.n + spec.n_test)
    return X[:, :spec.n], Y[:, :spec.n], X[:, spec.n:], Y[:, spec.n:]


def _draw(spec: DeepSpec, networks: int, seed: int, n: int):
    g = torch.Generator().manual_seed(seed + 104729)
    N, d, q = networks, spec.d, spec.q
    if spec.data in BUNDLED:
        Xall, yall = _bundled(spec.data)
        if n > len(yall):
            raise ValueError(f"n={n} exceeds the {len(yall)} samples of {spec.data}")
        idx = torch.stack([torch.randperm(len(yall), generator=g)[:n] for _ in range(N)])
        X, labels = Xall[idx], yall[idx]
    else:
        X = torch.randn(N, n, d, generator=g, dtype=torch.float64)
        if spec.data == "teacher":
            r = spec.teacher_rank or 2 * q
            T1 = torch.randn(N, d, r, generator=g, dtype=torch.float64) / d ** 0.5
            T2 = torch.randn(N, r, q, generator=g, dtype=torch.float64) / r ** 0.5
            Yt = torch.tanh(X @ T1) @ T2
            if spec.loss == "mse":
                return X, Yt
            labels = Yt.argmax(-1)
        else:
            labels = torch.randint(q, (N, n), generator=g)
    if spec.loss == "xent":
        return X, labels
    return X, nn.functional.one_hot(labels, q).to(torch.float64)


def init_deep_zoo(spec: DeepSpec, networks: int, seed: int, device: str, dtype=torch.float32):
    """The base module (for ``functional_call``) and stacked parameters; network ``k`` is initialised
    from ``torch.manual_seed(seed * 100003 + k)`` (PyTorch's default initialisation, times ``init_scale``)."""
    models = []
    with torch.random.fork_rng(devices=[]):
        for k in range(networks):
            torch.manual_seed(seed * 100003 + k)
            models.append(build_mlp(spec))
    params, _ = stack_module_state(models)
    base = copy.deepcopy(models[0]).to("meta")
    return base, {k: (v.detach() * spec.init_scale).to(device=device, dtype=dtype) for k, v in params.items()}


def _loss_fn(spec: DeepSpec, base: nn.Module):
    def one(p, x, y):
        out = functional_call(base, p, (x,))
        if spec.loss == "xent":
            return nn.functional.cross_entropy(out, y)
        return 0.5 * ((out - y) ** 2).sum(-1).mean()
    return one


def zero_predictor_loss(spec: DeepSpec, Y: torch.Tensor) -> torch.Tensor:
    """Per network, the loss of the constant-zero output: ½ mean ‖y‖² (MSE) or log q (cross-entropy)."""
    if spec.loss == "xent":
        return torch.full((Y.shape[0],), float(torch.log(torch.tensor(float(spec.q)))), dtype=torch.float64)
    return 0.5 * (Y.double() ** 2).sum(-1).mean(-1).cpu()


def train_deep_zoo(spec: DeepSpec, base: nn.Module, params: dict, X, Y, seed: int = 0):
    """Train every network at once with one stock optimizer over the stacked parameters; returns the
    trained parameters (detached) and per network the loss before and after (in eval mode); with
    ``spec.target > 0`` also ``steps`` (the step at which the criterion was met, -1 if never) and
    ``criterion_met``, each network taken at the first check that meets the criterion."""
    params = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    if spec.optimizer == "adam":
        opt = torch.optim.Adam(params.values(), lr=spec.lr, weight_decay=spec.weight_decay)
    else:
        opt = torch.optim.SGD(params.values(), lr=spec.lr, momentum=spec.momentum, weight_decay=spec.weight_decay)
    loss = vmap(_loss_fn(spec, base), randomness="different")
    full_loss = vmap(_loss_fn(spec, base))
    N, n = X.shape[0], X.shape[1]
    criterion = spec.target > 0
    if criterion:
        goal = (spec.target * zero_predictor_loss(spec, Y)).to(X.device)
        taken = {k: v.detach().clone() for k, v in params.items()}
        met = torch.zeros(N, dtype=torch.bool, device=X.device)
        steps = torch.full((N,), -1, dtype=torch.long)
    batch = spec.batch_size if 0 < spec.batch_size < n else 0
    g = torch.Generator().manual_seed(seed + 2147483647)
    order = None
    before = None
    if batch:
        with torch.no_grad():
            base.eval()
            before = full_loss(params, X, Y)
    base.train(spec.dropout > 0)
    with torch.random.fork_rng(devices=[X.device] if X.device.type == "cuda" else []):
        torch.manual_seed(seed + 15485863)  # dropout masks
        for step in range(spec.steps):
            if criterion and step % spec.check_every == 0:
                base.eval()
                with torch.no_grad():
                    now = full_loss(params, X, Y) <= goal
                base.train(spec.dropout > 0)
                new = now & ~met
                if bool(new.any()):
                    for k, v in params.items():
                        taken[k][new] = v.detach()[new]
                    steps[new.cpu()] = step
                    met |= new
                if bool(met.all()):
                    break
            if batch:
                per_epoch = n // batch
                if step % per_epoch == 0:  # a fresh shuffle per network and epoch
                    order = torch.rand(N, n, generator=g).argsort(1).to(X.device)
                idx = order[:, (step % per_epoch) * batch:(step % per_epoch + 1) * batch]
                xb = torch.take_along_dim(X, idx[:, :, None], 1)
                yb = torch.take_along_dim(Y, idx[:, :, None] if Y.dim() == 3 else idx, 1)
            else:
                xb, yb = X, Y
            opt.zero_grad(set_to_none=True)
            per_net = loss(params, xb, yb)
            before = per_net.detach() if before is None and not batch else before
            per_net.sum().backward()
            opt.step()
    base.eval()
    out = {k: v.detach() for k, v in params.items()}
    if criterion:
        for k in out:
            out[k] = torch.where(met.view(-1, *([1] * (out[k].dim() - 1))), taken[k], out[k])
    with torch.no_grad():
        after = vmap(_loss_fn(spec, base))(out, X, Y)
    losses = {"before": before, "after": after}
    if criterion:
        losses |= {"steps": steps, "criterion_met": met.cpu()}
    return out, losses


def train_stack(spec: DeepSpec, networks: int, device: str, seed: int):
    """Build, train (float32) and return a zoo: the base module, initial and trained parameters as float64
    copies, the data ``X``, ``Y`` on ``device`` and the losses."""
    base, p0 = init_deep_zoo(spec, networks, seed, device)
    X, Y = make_data(spec, networks, seed)
    Xd = X.to(device=device, dtype=torch.float32)
    Yd = Y.to(device=device, dtype=torch.float32) if Y.is_floating_point() else Y.to(device)
    p1, losses = train_deep_zoo(spec, base, p0, Xd, Yd, seed)
    f64 = lambda p: {k: v.to(torch.float64) for k, v in p.items()}  # noqa: E731
    return base, f64(p0), f64(p1), X.to(device), Y.to(device), losses


@cached(maxsize=4)
def trained_deep_zoo(spec: DeepSpec, networks: int, device: str, seed: int):
    """Initial and trained parameters (float64 copies of the float32 training), data, losses (cached;
    every call returns fresh copies)."""
    _, p0, p1, X, _, losses = train_stack(spec, networks, device, seed)
    return p0, p1, X, losses


def _weights(spec: DeepSpec, params: dict):
    names = linear_layers(spec)
    Ws = [params[f"{m}.weight"] for m in names]
    bs = [params[f"{m}.bias"] for m in names] if spec.bias else [None] * len(names)
    return Ws, bs


def all_layer_agop(spec: DeepSpec, params: dict, X: torch.Tensor) -> dict:
    r"""``G_l`` and ``AGOP_l`` of every hidden layer in one forward and one backward sweep of batched
    matrix products (no autograd through the network): :func:`nnclaims.numeric.agop.agop_sweep` on the
    zoo's stacked weights, without its output layer.

    With :math:`D_l = \operatorname{diag}\sigma'(z_l)` (``σ'`` by one forward-mode ``jvp`` of the activation,
    so any elementwise activation works), the Jacobians of the output with respect to the
    pre-activations obey :math:`J_L = W_{L+1} D_L`, :math:`J_{l} = J_{l+1} W_{l+1} D_{l}`, and by the
    chain rule through :math:`z_l = W_l h_{l-1} + b_l`

    .. math:: G_l = \tfrac1n \sum_x J_l^\top J_l, \qquad
              \mathrm{AGOP}_l = \tfrac1n \sum_x (J_l W_l)^\top (J_l W_l) = W_l^\top G_l W_l,

    the AGOP of the network as a function of layer ``l``'s input.  Stacked over networks (leading axis);
    dropout is off (evaluation).  Memory: the data are visited in chunks (:func:`nnclaims.numeric.agop.chunk_rows`),
    so it does not grow with ``n``.
    """
    Ws, bs = _weights(spec, params)
    out = agop_sweep(Ws, X, spec.activation, biases=bs if spec.bias else None)
    return {"G": out["G"][:-1], "AGOP": out["AGOP"][:-1]}


def per_layer_agop_jacrev(spec: DeepSpec, params: dict, X: torch.Tensor) -> list[torch.Tensor]:
    r"""The official code's way, for comparison: for each layer ``l`` separately, the network as a
    function of :math:`h_{l-1}`, ``vmap(jacrev)`` over samples, :math:`\mathrm{AGOP}_l = \tfrac1n\sum J^\top J`."""
    act = ACTIVATIONS[spec.activation]
    Ws, bs = _weights(spec, params)
    L = len(spec.widths)

    def tail(Wl, bl, h, start):
        for l in range(start, L + 1):
            z = Wl[l] @ h + (bl[l] if bl[l] is not None else 0)
            h = act(z) if l < L else z
        return h

    out = []
    for l in range(L):
        def per_net(Wl, bl, Xn, l=l):
            H = vmap(lambda x: _head(Wl, bl, x, l, act))(Xn)
            J = vmap(jacrev(lambda h: tail(Wl, bl, h, l)))(H)
            return torch.einsum("nqa,nqb->ab", J, J) / Xn.shape[0]
        out.append(vmap(per_net)(Ws, bs, X))
    return out


def _head(Wl, bl, x, stop, act):
    """:math:`h_{stop}`: the input to layer ``stop`` (0-based), i.e. the first ``stop`` layers applied."""
    h = x
    for l in range(stop):
        h = act(Wl[l] @ h + (bl[l] if bl[l] is not None else 0))
    return h
