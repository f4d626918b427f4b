"""Many ProbeGANs trained as one packed model (``torch.func``): one GPU, many seeds at once.

:class:`PackedTrainer` takes K :class:`~probelib.train.probegan.ProbeGANTrainer` members of the
same shapes and trains them together: their G, D and EMA weights stacked
(``torch.func.stack_module_state``), every network call a ``vmap`` of ``functional_call`` over the
members (``randomness="different"``), batch norm and spectral norm with stacked buffers, one Adam
over the stacked weights (Adam is elementwise, so it is K independent Adams). Each member keeps its
own random generator and draws exactly what it would draw alone, in the same order (real batch,
fakes, DiffAugment, the penalty's α), and each network is called in the same sequence as
:meth:`ProbeGANTrainer.d_step` / ``g_step`` (spectral norm's power iteration runs once per call), so
each member trains the GAN it would train alone, up to float rounding — the test checks it against
separate runs. Each member's losses are the very functions a GAN alone minimises
(:mod:`probelib.train.objective`, called once per member) and the loop is the same
(:func:`~probelib.train.probegan.train_loop`). The gradient penalty's double backward goes through the vmapped critic with
ordinary autograd (``torch.autograd.grad(..., create_graph=True)``), which composes with ``vmap``.

Members' fake batches differ in length (Dc's seen-class top-up is random); the pack pads them to
the longest and G's batch norms average over each member's own rows only (a mask, so padding never
enters a member's statistics). After :meth:`PackedTrainer.run` every member holds its weights,
optimiser state, history, step and its share of the wall time, ready to checkpoint or cache as if
trained alone.

What members must share (checked, one-line errors): device, architecture, batch size, D steps,
learning rates and betas, EMA decay and start, step, ``use_dc`` / ``use_du`` / ``diffaug``, the
classifier object, float32 precision. What may differ: seed, targets and their shares,
``lambda_cls``, ``lambda_gp``, ``drift``, ``include_target``.
"""
from __future__ import annotations

import copy
import types

import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, stack_module_state, vmap

from ..models.spectral import SpectralNorm
from . import losses, objective
from .probegan import ProbeGANTrainer, TrainingDiverged, train_loop

__all__ = ["PackedTrainer", "SHARED"]

#: config fields every member of a pack must share
SHARED = ("gan", "batch_size", "d_steps", "lr_g", "lr_d", "beta1", "beta2", "ema_decay", "ema_start",
          "use_dc", "use_du", "diffaug", "dc_own_batch", "precision")


class _MaskedBatchNorm2d(nn.BatchNorm2d):
    """Training-mode batch norm over the rows whose ``mask`` is 1 (a pack's padding excluded)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        m = self.mask.to(x.dtype).view(-1, 1, 1, 1)
        count = m.sum() * x.shape[2] * x.shape[3]
        mean = (x * m).sum(dim=(0, 2, 3)) / count
        var = (((x - mean[None, :, None, None]) ** 2) * m).sum(dim=(0, 2, 3)) / count  # biased, as torch's
        with torch.no_grad():
            self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
            self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * count / (count - 1))
            self.num_batches_tracked.add_(1)
        out = (x - mean[None, :, None, None]) * torch.rsqrt(var[None, :, None, None] + self.eps)
        if self.affine:
            out = out * self.weight[None, :, None, None] + self.bias[None, :, None, None]
        return out


def _power_method(self, weight_mat: torch.Tensor, n_power_iterations: int) -> None:
    """torch's spectral-norm power iteration without ``out=`` (which ``vmap`` cannot batch)."""
    with torch.no_grad():
        for _ in range(n_power_iterations):
            self._u.copy_(F.normalize(torch.mv(weight_mat, self._v), dim=0, eps=self.eps))
            self._v.copy_(F.normalize(torch.mv(weight_mat.H, self._u), dim=0, eps=self.eps))


def _template(module: nn.Module, masked_bn: bool) -> nn.Module:
    """A copy of ``module`` whose batch norms take a mask and whose spectral norms vmap."""
    t = copy.deepcopy(module)
    for name, child in list(t.named_modules()):
        if isinstance(child, SpectralNorm):  # functional_call swaps buffers in: update them in place
            child.rebind = False
        elif type(child).__name__ == "_SpectralNorm":
            child._power_method = types.MethodType(_power_method, child)
        if masked_bn and type(child) is nn.BatchNorm2d:
            if child.momentum is None:
                raise ValueError("a pack needs batch norms with a momentum (not a cumulative average)")
            parent = t.get_submodule(name.rsplit(".", 1)[0]) if "." in name else t
            new = _MaskedBatchNorm2d(child.num_features, child.eps, child.momentum, child.affine)
            new.load_state_dict(child.state_dict())
            new.register_buffer("mask", torch.ones(1))
            setattr(parent, name.rsplit(".", 1)[-1], new)
    return t


class _Method(nn.Module):
    """``forward`` calls one method of the wrapped module (functional_call calls ``forward``)."""

    def __init__(self, module: nn.Module, method: str):
        super().__init__()
        self.module, self.method = module, method

    def forward(self, *args):
        return getattr(self.module, self.method)(*args)


class _Stack:
    """One network's stacked weights and buffers, and vmapped calls of its methods."""

    def __init__(self, modules: list[nn.Module], masked_bn: bool = False):
        self.params, self.buffers = stack_module_state(modules)
        template = _template(modules[0], masked_bn).to("meta")
        self.masks = [n[: -len(".running_mean")] + ".mask" for n in self.buffers if n.endswith("running_mean")] \
            if masked_bn else []
        self._calls = {}
        self._template = template

    def call(self, method: str, *args, mask: torch.Tensor | None = None):
        if method not in self._calls:
            wrapper = _Method(self._template, method)

            def one(p, b, *a):
                return functional_call(wrapper, ({f"module.{k}": v for k, v in p.items()},
                                                 {f"module.{k}": v for k, v in b.items()}), a)
            self._calls[method] = vmap(one, randomness="different")
        buffers = self.buffers if mask is None else {**self.buffers, **{m: mask for m in self.masks}}
        return self._calls[method](self.params, buffers, *args)

    def member(self, k: int) -> dict[str, torch.Tensor]:
        return {n: v[k].detach().clone() for n, v in {**self.params, **self.buffers}.items()}


def _pad(x: torch.Tensor, n: int) -> torch.Tensor:
    """``x`` with its first dimension zero-padded to ``n``."""
    return torch.cat([x, x.new_zeros((n - len(x), *x.shape[1:]))]) if len(x) < n else x


class PackedTrainer:
    """K ProbeGAN trainers of one shape trained as one packed model (see the module docstring)."""

    def __init__(self, members: list[ProbeGANTrainer]):
        if not members:
            raise ValueError("a pack needs at least one trainer")
        first = members[0]
        for m in members[1:]:
            for name in SHARED:
                if getattr(m.cfg, name) != getattr(first.cfg, name):
                    raise ValueError(f"pack members differ in {name}; pack only GANs of one shape and schedule")
            if m.device != first.device or m.classifier is not first.classifier or m.step != first.step:
                raise ValueError("pack members differ in device, classifier or step; pack only GANs trained together")
        if first.cfg.precision != "float32":
            raise ValueError("a pack trains in float32 only")
        self.members, self.cfg, self.device = members, first.cfg, first.device
        self.G = _Stack([m.G for m in members], masked_bn=True)
        self.D = _Stack([m.D for m in members])
        self.ema_params, self.ema_buffers = stack_module_state([m.G_ema for m in members])
        for v in self.ema_params.values():
            v.requires_grad_(False)
        betas = (self.cfg.beta1, self.cfg.beta2)
        self.opt_g = torch.optim.Adam(list(self.G.params.values()), lr=self.cfg.lr_g, betas=betas)
        self.opt_d = torch.optim.Adam(list(self.D.params.values()), lr=self.cfg.lr_d, betas=betas)
        for opt, name in ((self.opt_g, "opt_g"), (self.opt_d, "opt_d")):
            self._stack_optimiser(opt, [getattr(m, name) for m in members])
        self.step = first.step
        self.seconds = 0.0

    # ---------------------------------------------------------------- optimiser state in and out
    @staticmethod
    def _stack_optimiser(opt: torch.optim.Adam, singles: list[torch.optim.Adam]) -> None:
        states = [s.state_dict()["state"] for s in singles]
        if not states[0]:
            return
        packed = {i: {"step": states[0][i]["step"].clone(),
                      **{k: torch.stack([st[i][k] for st in states]) for k in ("exp_avg", "exp_avg_sq")}}
                  for i in states[0]}
        opt.load_state_dict({"state": packed, "param_groups": opt.state_dict()["param_groups"]})

    @staticmethod
    def _unstack_optimiser(opt: torch.optim.Adam, single: torch.optim.Adam, k: int) -> None:
        state = {i: {"step": s["step"].clone(), "exp_avg": s["exp_avg"][k].clone(),
                     "exp_avg_sq": s["exp_avg_sq"][k].clone()} for i, s in opt.state_dict()["state"].items()}
        single.load_state_dict({"state": state, "param_groups": single.state_dict()["param_groups"]})

    # ---------------------------------------------------------------- the members' draws
    def _fakes(self):
        fakes = [m.sample_fake_inputs() for m in self.members]
        n = max(len(f.y) for f in fakes)
        z = torch.stack([_pad(f.z, n) for f in fakes])
        y = torch.stack([_pad(f.y, n) for f in fakes])
        mask = torch.stack([(torch.arange(n, device=self.device) < len(f.y)).float() for f in fakes])
        return fakes, z, y, mask

    def _augment(self, x: torch.Tensor, lengths: list[int]) -> torch.Tensor:
        """Each member's DiffAugment of its own rows, from its own generator."""
        return torch.stack([_pad(m._d_input(x[k, :n]), x.shape[1]) for k, (m, n) in
                            enumerate(zip(self.members, lengths))])

    # ---------------------------------------------------------------- one update each
    def d_step(self) -> list[dict]:
        cfg, M = self.cfg, self.members
        reals = [m.sample_real() for m in M]
        fakes, z, y, mask = self._fakes()
        lengths = [len(f.y) for f in fakes]
        with torch.no_grad():
            x_fake = self.G.call("forward", z, y, mask=mask)
        x_real = torch.stack([x for x, _ in reals])
        y_real = torch.stack([t for _, t in reals])
        h_real = self.D.call("features", self._augment(x_real, [cfg.batch_size] * len(M)))
        h_fake = self.D.call("features", self._augment(x_fake, lengths))
        if cfg.use_dc:
            dc_real = self.D.call("heads", h_real, y_real)[0]
            dc_fake = self.D.call("heads", h_fake, y)[0]
        if cfg.use_du:
            du_real = self.D.call("linear_u", h_real).squeeze(-1)
            du_fake = self.D.call("linear_u", h_fake[:, : cfg.batch_size]).squeeze(-1)
            alpha = torch.stack([torch.rand(cfg.batch_size, 1, 1, 1, generator=m.rng).to(self.device) for m in M])
            b = cfg.batch_size

            def critic(x_flat):  # (K·B, C, H, W) -> (K·B,): each member's Du on its own x̂
                x = self._augment(x_flat.view(len(M), b, *x_flat.shape[1:]), [b] * len(M))
                return self.D.call("linear_u", self.D.call("features", x)).flatten()

            terms = losses.gradient_penalty_terms(critic, x_real.flatten(0, 1), x_fake[:, :b].flatten(0, 1),
                                                  alpha.flatten(0, 1)).view(len(M), b)
        records, total = [], torch.zeros((), device=self.device)
        for k, (m, f) in enumerate(zip(M, fakes)):  # each member's own objective, as alone
            dc_k = (dc_real[k], dc_fake[k, f.dc]) if cfg.use_dc else (None, None)  # f.dc empty: no fake term
            du_k = (du_real[k], du_fake[k], terms[k].mean()) if cfg.use_du else (None, None, None)
            loss, parts = objective.discriminator_objective(*dc_k, *du_k, lambda_gp=m.cfg.lambda_gp,
                                                            drift=m.cfg.drift)
            total = total + loss
            records.append(parts)
        self.opt_d.zero_grad(set_to_none=True)
        total.backward()
        self.opt_d.step()
        return [{k: float(v.detach()) for k, v in parts.items()} for parts in records]

    def g_step(self) -> list[dict]:
        cfg, M = self.cfg, self.members
        fakes, z, y, mask = self._fakes()
        if cfg.use_dc and len({bool(len(f.dc)) for f in fakes}) > 1:
            raise ValueError("pack members disagree on whether Dc sees any fake this step; train them alone")
        for v in self.D.params.values():
            v.requires_grad_(False)
        try:
            x = self.G.call("forward", z, y, mask=mask)
            h = self.D.call("features", self._augment(x, [len(f.y) for f in fakes]))
            dc = self.D.call("heads", h, y)[0] if cfg.use_dc and len(fakes[0].dc) else None
            du = self.D.call("linear_u", h[:, : cfg.batch_size]).squeeze(-1) if cfg.use_du else None
            classifier = M[0].classifier
            logits = classifier(x[:, : cfg.batch_size].flatten(0, 1)).view(len(M), cfg.batch_size, -1) \
                if any(m.cfg.lambda_cls > 0 for m in M) else None
        finally:
            for v in self.D.params.values():
                v.requires_grad_(True)
        records, total = [], torch.zeros((), device=self.device)
        for k, (m, f) in enumerate(zip(M, fakes)):  # each member's own objective, as alone
            loss, parts = objective.generator_objective(
                None if dc is None else dc[k, f.dc], None if du is None else du[k],
                logits[k] if m.cfg.lambda_cls > 0 else None, f.y[: f.n_du],
                lambda_cls=m.cfg.lambda_cls, drift=m.cfg.drift)
            total = total + loss
            records.append(parts)
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        self.opt_g.step()
        decay = cfg.ema_decay if self.step >= cfg.ema_start else 0.0
        with torch.no_grad():
            for name, pe in self.ema_params.items():
                pe.lerp_(self.G.params[name], 1.0 - decay)
            for name, be in self.ema_buffers.items():
                be.copy_(self.G.buffers[name])
        return [{k: float(v.detach()) for k, v in parts.items()} for parts in records]

    # ---------------------------------------------------------------- loop, hand-back
    def run(self, until: int | None = None, log_every: int = 25) -> None:
        """Train every member from the pack's step to ``until`` (default the members' ``steps``),
        then hand each its weights, optimiser state, history, step and share of the wall time."""
        until = self.cfg.steps if until is None else until
        for m in self.members:
            m.G.train()
            m.D.train()

        def log(d_recs: list[dict], g_recs: list[dict]) -> None:
            for m, d, g in zip(self.members, d_recs, g_recs):
                m.history.append({"step": self.step, **d, **g})

        train_loop(self, until, log_every, log)  # the loop of a GAN trained alone
        self.hand_back()

    def _check(self, records: list[dict]) -> None:
        for k, (m, rec) in enumerate(zip(self.members, records)):
            m.step = self.step
            try:
                m._check(rec)
            except TrainingDiverged as err:
                raise TrainingDiverged(f"pack member {k} (seed {m.cfg.seed}): {err}") from None

    def hand_back(self) -> None:
        """Write the stacked state back into each member trainer."""
        share = self.seconds / len(self.members)
        for k, m in enumerate(self.members):
            m.G.load_state_dict(self.G.member(k), strict=True)
            m.D.load_state_dict(self.D.member(k), strict=True)
            m.G_ema.load_state_dict({n: v[k].clone() for n, v in {**self.ema_params, **self.ema_buffers}.items()},
                                    strict=True)
            self._unstack_optimiser(self.opt_g, m.opt_g, k)
            self._unstack_optimiser(self.opt_d, m.opt_d, k)
            m.step, m.seconds = self.step, m.seconds + share
        self.seconds = 0.0
