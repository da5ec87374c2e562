"""GPT.from_hf_state_dict measured: which HF keys your loader takes, and where each tensor lands.

The loading tests say which parameters differ from HF's after loading, or print the loader's own error. What
that does not say is the rule your loader applied. This probe finds it from the outside, on a tiny HF model whose
position table is square (block_size = n_embd), so that a loader transposing a tensor it should not still loads:

- a state dict of ONE key at a time, for each key: which keys your loader refuses (the keys of a GPT2LMHeadModel,
  of a GPT2Model, lm_head), and with which error;
- the whole state dict: each of your parameters against HF's, as copied, transposed, another key's tensor, or
  left at its init.
"""

from __future__ import annotations

import torch

from gpt2spec.verdicts import OBSERVED, Finding

from .oracles import CONV1D_WEIGHTS, TINY, hf_lm, to_contract_names

SQUARE = dict(TINY, block_size=TINY["n_embd"])  # wpe is (n_embd, n_embd): a transposed wpe loads, wrongly
EVIDENCE = "a tiny HF model's state dict loaded whole, and one key at a time"
FIX = (
    "for each HF key: skip .attn.bias / .attn.masked_bias; prefix 'transformer.' to the keys that start with neither"
    " 'transformer.' nor 'lm_head.' (a GPT2Model's: wte.weight, h.0..., ln_f); transpose only the Conv1D weights"
    " (attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj); copy the rest as is"
)


def loading(impl) -> list[Finding]:
    """What your loader does with a GPT2LMHeadModel state dict, and with a GPT2Model one (one finding)."""
    try:
        impl.GPT(impl.GPTConfig(**SQUARE))
    except Exception:  # a model that cannot be built: its loader is not what fails
        return []
    hf = hf_lm(SQUARE, seed=71)
    g = torch.Generator().manual_seed(72)
    for p in hf.parameters():  # no tensor equal to an init's (HF's biases start at 0, as yours do)
        p.data += 0.02 * torch.randn(p.shape, generator=g)
    lm, bare = dict(hf.state_dict()), dict(hf.transformer.state_dict())
    for state, kind, other in ((lm, "GPT2LMHeadModel", bare), (bare, "GPT2Model", lm)):
        found = _refused(impl, state, kind, other) or _misplaced(impl, state, kind)
        if found:
            return found
    return []


def _load(impl, state: dict[str, torch.Tensor]) -> torch.nn.Module:
    torch.manual_seed(0)
    return impl.GPT.from_hf_state_dict(state, impl.GPTConfig(**SQUARE))


def _refused(impl, state: dict[str, torch.Tensor], kind: str, other: dict[str, torch.Tensor]) -> list[Finding]:
    """The whole state dict raises: the keys that raise alone, said with the first one's error. When every key
    raises alone and the other kind of state dict loads, the key names of this kind are what the loader gets
    wrong."""
    try:
        _load(impl, state)
        return []
    except Exception as exc:
        whole = f"{type(exc).__name__}: {exc}"
    refused: dict[str, str] = {}
    for key, tensor in state.items():
        try:
            _load(impl, {key: tensor})
        except Exception as exc:
            refused[key] = f"{type(exc).__name__}: {exc}"
    named_alone = all(key in error or key.removeprefix("transformer.") in error for key, error in refused.items())
    if refused and len(refused) == len(state) and named_alone and _loads(impl, other):
        other_kind = "GPT2Model" if kind == "GPT2LMHeadModel" else "GPT2LMHeadModel"
        words = (f"your loader refuses every key of a {kind} state dict, even one at a time ({_short(whole)}), and "
                 f"loads a {other_kind}'s: it maps the {kind}'s key names wrong")  # fmt: skip
        if kind == "GPT2LMHeadModel":
            words += " (its keys carry 'transformer.' already, and lm_head.weight is top-level: prefix only the others)"
        return [Finding(f"from-hf: {kind} keys refused", words, FIX, evidence=EVIDENCE)]
    if not refused or len(refused) == len(state):  # each key raises alone too: a rule about the whole dict
        words = f"your loader raises on a {kind} state dict ({_short(whole)}), and on each of its keys alone"
        if not refused:
            words = f"your loader raises on a whole {kind} state dict ({_short(whole)}), but on none of its keys alone"
        what = "every key" if refused else "the whole dict"
        return [Finding(f"from-hf: {kind}, raises on {what}", words, kind=OBSERVED, evidence=EVIDENCE)]
    groups = _groups(refused, state)
    first = next(iter(refused))
    shape = tuple(state[first].shape)
    transposed = len(shape) == 2 and str(shape[::-1]) in refused[first] and shape[0] != shape[1]
    words = (f"your loader refuses {groups} of a {kind} state dict (loaded one key at a time: "
             f"{first!r} raises {_short(refused[first])}) and takes the others")  # fmt: skip
    if transposed:
        words += f": it transposes {first}, which HF stores as the contract does, {shape}"
    fix = _TIED_FIX if groups == "the lm_head key" else FIX
    return [Finding(f"from-hf: refuses {groups}", words, fix, evidence=EVIDENCE)]


# the lm_head key alone refused: the loader's names come from somewhere that lists the tied weight once (v19:
# dict(model.named_parameters()) has transformer.wte.weight and no lm_head.weight; the generic recipe did not say so)
_TIED_FIX = (
    "accept lm_head.weight: it is the same tensor as transformer.wte.weight (tied), so take the names to load from "
    "model.state_dict() or named_parameters(remove_duplicate=False), which list both, not from "
    "dict(model.named_parameters()), which lists the tied weight once"
)


def _groups(refused: dict[str, str], state: dict[str, torch.Tensor]) -> str:
    """The refused keys in words: a whole group (prefixed keys, lm_head, Conv1D weights) or the keys themselves."""
    named = {
        "every key with the 'transformer.' prefix": lambda k: k.startswith("transformer."),
        "the lm_head key": lambda k: k.startswith("lm_head."),
        "every Conv1D weight": lambda k: k.endswith(CONV1D_WEIGHTS),
        "every key without the 'transformer.' prefix": lambda k: not k.startswith(("transformer.", "lm_head.")),
    }
    said = [name for name, of in named.items() if {k for k in state if of(k)} <= set(refused) and any(map(of, state))]
    covered = {k for k in refused for name in said if named[name](k)}
    rest = [k for k in refused if k not in covered]
    return ", ".join([*said, *(repr(k) for k in rest[:3]), *(["..."] if len(rest) > 3 else [])])


def _loads(impl, state: dict[str, torch.Tensor]) -> bool:
    try:
        _load(impl, state)
        return True
    except Exception:
        return False


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 140 else text[:137] + "..."


def _misplaced(impl, state: dict[str, torch.Tensor], kind: str) -> list[Finding]:
    """The whole state dict loads: each parameter against HF's (in the contract's layout), said by what it holds."""
    try:
        model = _load(impl, state)
    except Exception:
        return []
    want = to_contract_names(state)
    if not any(k.startswith("transformer.") for k in want):  # a GPT2Model state dict
        want = {f"transformer.{k}": v for k, v in want.items()}
    want.setdefault("lm_head.weight", want.get("transformer.wte.weight"))
    sources = {k: v for k, v in want.items() if v is not None}
    wrong: list[str] = []
    compared = 0
    for name, p in model.named_parameters(remove_duplicate=False):
        expected = want.get(name)
        got = p.detach().double()
        compared += expected is not None
        if expected is None or (got.shape == expected.shape and torch.equal(got, expected.double())):
            continue
        wrong.append(f"{name} {_holds(got, expected, sources)}")
    if not wrong:
        return []
    said = "; ".join(wrong[:4]) + (f"; and {len(wrong) - 4} more" if len(wrong) > 4 else "")
    words = f"after loading a {kind} state dict: {said}"
    if len(wrong) == compared and all("init" in w for w in wrong):
        words = (f"after loading a {kind} state dict none of your parameters holds HF's tensor: the values never "
                 "reach the model (copied into a dict or a state_dict() that is thrown away, or loaded under names "
                 "the model does not have)")  # fmt: skip
        return [Finding("from-hf: nothing copied into the model", words, FIX, evidence=EVIDENCE)]
    tag = "from-hf: " + ", ".join(w.split(" (")[0] for w in wrong[:2]) + (" ..." if len(wrong) > 2 else "")
    return [Finding(tag, words, FIX, evidence=EVIDENCE)]


def _holds(got: torch.Tensor, expected: torch.Tensor, sources: dict[str, torch.Tensor]) -> str:
    """What a wrongly loaded parameter holds, in words."""
    if got.dim() == 2 and got.shape == expected.t().shape and torch.equal(got, expected.double().t()):
        return "holds HF's tensor transposed (only the Conv1D weights are stored (in, out))"
    if got.dim() == 2 and got.shape == expected.shape and torch.equal(got.t(), expected.double()):
        return "holds HF's tensor transposed"
    for key, tensor in sources.items():
        t = tensor.double()
        if t.shape == got.shape and torch.equal(t, got):
            return f"holds HF's {key}"
    return "is not HF's tensor (left at its init?)"
